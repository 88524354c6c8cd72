// itwin: one program from a pipeline YAML to a trained, tracked model.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>

#include "itwin/cli/commands.hpp"
#include "itwin/util/error.hpp"
#include "itwin/util/log.hpp"
#include "itwin/util/signals.hpp"
#include "itwin/util/startup_trace.hpp"
#include "itwin/util/version.hpp"

int main(int argc, char** argv) {
  itwin::startup_mark("main");  // with ITWIN_STARTUP_TRACE only: exec -> main is loading
  itwin::install_crash_reporter();
  using itwin::cli::Runner;
  CLI::App app{
      "itwin: AI workflows from a YAML file to a trained, tracked model, on a laptop or a SLURM "
      "cluster",
      "itwin"};
  app.require_subcommand(1);
  app.set_version_flag("-V,--version", std::string("itwin ") + itwin::version_string());
  itwin::cli::Invocation inv;
  for (int i = 1; i < argc; ++i) inv.args.push_back(argv[i]);
  std::vector<std::pair<CLI::App*, Runner>> runners;
  for (const auto& c : itwin::cli::command_table()) {
    CLI::App* sub = app.add_subcommand(c.name, c.help);
    runners.emplace_back(sub, c.setup(*sub, inv));
  }
  itwin::init_logging();
  try {
    app.parse(argc, argv);
    for (const auto& [sub, run] : runners) {
      if (sub->parsed()) return run();
    }
    return itwin::kExitBadInput;
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : itwin::kExitBadInput;
  } catch (const itwin::Error& e) {
    std::fprintf(stderr, "itwin: error: %s\n", e.what());
    return e.exit_code();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "itwin: internal error: %s\n", e.what());
    return itwin::kExitFailure;
  }
}
