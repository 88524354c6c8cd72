// Subcommands whose help is real but whose work is not built yet.
#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "itwin/cli/commands.hpp"
#include "itwin/util/error.hpp"

namespace itwin::cli {
namespace {

struct Planned {
  const char* name;
  const char* help;
};

const Planned kPlanned[] = {
    {"report", "Scalability report from tracked runs: epoch time, speedup, communication share, GPU use, energy."},
};

}  // namespace

void setup_planned(CLI::App& app) {
  for (const auto& p : kPlanned) {
    auto* cmd = app.add_subcommand(p.name, std::string(p.help) + " [not built yet in this version]");
    cmd->allow_extras();
    std::string name = p.name;
    cmd->callback([name] {
      throw Error("'itwin " + name + "' is not built yet in this version of itwin; see docs/cli.md for what exists",
                  kExitFailure);
    });
  }
}

}  // namespace itwin::cli
