// The command line of both programs (itwin, itwin-worker), also run in
// process by an HPO trial zygote's children (hpo/zygote.hpp).
#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>

#include "itwin/cli/commands.hpp"
#include "itwin/util/error.hpp"
#include "itwin/util/log.hpp"
#include "itwin/util/version.hpp"

namespace itwin::cli {

int run_main(const std::vector<std::string>& argv) {
  CLI::App app{
      "itwin: AI workflows from a YAML file to a trained, tracked model, on a laptop or a SLURM "
      "cluster",
      "itwin"};
  app.require_subcommand(1);
  app.set_version_flag("-V,--version", std::string("itwin ") + itwin::version_string());
  Invocation inv;
  inv.args.assign(argv.begin() + (argv.empty() ? 0 : 1), argv.end());
  std::vector<std::pair<CLI::App*, Runner>> runners;
  for (const auto& c : command_table()) {
    CLI::App* sub = app.add_subcommand(c.name, c.help);
    runners.emplace_back(sub, c.setup(*sub, inv));
  }
  itwin::init_logging();
  std::vector<std::string> copy = argv;
  std::vector<char*> args;
  for (auto& a : copy) args.push_back(a.data());
  try {
    app.parse(static_cast<int>(args.size()), args.data());
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

}  // namespace itwin::cli
