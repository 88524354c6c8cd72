// itwin version: what this binary is.
#include <CLI/CLI.hpp>
#include <memory>

#include "setups.hpp"
#include "torch_side.hpp"

namespace itwin::cli {

Runner setup_version(CLI::App& cmd, const Invocation& inv) {
  auto json = std::make_shared<bool>(false);
  cmd.add_flag("--json", *json, "print JSON");
  return [json, &inv] { return torch_version(*json, inv); };
}

}  // namespace itwin::cli
