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
    {"hpo", "Run a hyper-parameter search (random, grid, ASHA) inside one allocation, trials as ranks or processes."},
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
