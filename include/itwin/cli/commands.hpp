#pragma once
/// Every subcommand registers itself on the root app through one setup
/// function (one file each under src/cli/). `main` only calls these.

#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace itwin::cli {

void setup_train(CLI::App& app);     ///< train, run, infer (src/cli/train.cpp)
void setup_validate(CLI::App& app);
void setup_backends(CLI::App& app);
void setup_bench(CLI::App& app);     ///< bench comm
void setup_submit(CLI::App& app);
void setup_jobs(CLI::App& app);
void setup_runs(CLI::App& app);
void setup_models(CLI::App& app);
void setup_version(CLI::App& app);
void setup_hpo(CLI::App& app);       ///< hpo, hpo show (src/cli/hpo.cpp)
void setup_planned(CLI::App& app);   ///< report: not built yet

/// The exit status the command that ran wants (0 unless it set one).
int& command_status();

/// The command line as given (for re-running it as several ranks).
std::vector<std::string>& original_args();

}  // namespace itwin::cli
