// Subcommands whose help is real but whose work is not built yet.
#include <CLI/CLI.hpp>

#include "itwin/util/error.hpp"
#include "setups.hpp"

namespace itwin::cli {
namespace {

Runner not_built(CLI::App& cmd, const std::string& name) {
  cmd.allow_extras();
  return [name]() -> int {
    throw Error("'itwin " + name + "' is not built yet in this version of itwin; see docs/cli.md for what exists",
                kExitFailure);
  };
}

}  // namespace

Runner setup_report(CLI::App& cmd, const Invocation&) { return not_built(cmd, "report"); }

}  // namespace itwin::cli
