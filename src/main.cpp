// itwin: one program from a pipeline YAML to a trained, tracked model.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>

#include "itwin/cli/commands.hpp"
#include "itwin/util/error.hpp"
#include "itwin/util/log.hpp"
#include "itwin/util/version.hpp"

int main(int argc, char** argv) {
  CLI::App app{"itwin: AI workflows from a YAML file to a trained, tracked model, on a laptop or a SLURM cluster",
               "itwin"};
  app.require_subcommand(1);
  app.set_version_flag("-V,--version", std::string("itwin ") + itwin::version_string());
  itwin::cli::setup_train(app);
  itwin::cli::setup_validate(app);
  itwin::cli::setup_backends(app);
  itwin::cli::setup_bench(app);
  itwin::cli::setup_submit(app);
  itwin::cli::setup_jobs(app);
  itwin::cli::setup_runs(app);
  itwin::cli::setup_models(app);
  itwin::cli::setup_hpo(app);
  itwin::cli::setup_version(app);
  itwin::cli::setup_planned(app);
  itwin::init_logging();
  for (int i = 1; i < argc; ++i) itwin::cli::original_args().push_back(argv[i]);
  try {
    app.parse(argc, argv);
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
  return itwin::cli::command_status();
}
