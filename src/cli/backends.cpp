// itwin backends: what this build and machine can do.
#include <CLI/CLI.hpp>
#include <memory>

#include "setups.hpp"
#include "torch_side.hpp"

namespace itwin::cli {

Runner setup_backends(CLI::App& cmd, const Invocation& inv) {
  auto json = std::make_shared<bool>(false);
  cmd.add_flag("--json", *json, "print JSON");
  return [json, &inv] { return torch_backends(*json, inv); };
}

}  // namespace itwin::cli
