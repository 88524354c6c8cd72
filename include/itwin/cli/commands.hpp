#pragma once
/// The command table: every subcommand of `itwin`, its one-line help and the
/// function that sets up its options (one file each under src/cli/). A
/// setup returns the command's work, run after parsing, which returns the
/// exit status. Nothing here is a global.

#include <functional>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace itwin::cli {

/// The command line as given (without the program name), for commands that
/// re-run it as several ranks.
struct Invocation {
  std::vector<std::string> args;
};

/// A command's work; returns the exit status.
using Runner = std::function<int()>;

struct Command {
  const char* name;
  const char* help;
  Runner (*setup)(CLI::App& cmd, const Invocation& inv);
};

/// Every subcommand, in the order `itwin --help` lists them.
const std::vector<Command>& command_table();

/// Parses `argv` (the program name first) against the command table, runs
/// the command and returns its exit status; errors are printed, not thrown.
/// main() of both programs, and an HPO zygote's child (hpo/zygote.hpp).
int run_main(const std::vector<std::string>& argv);

}  // namespace itwin::cli
