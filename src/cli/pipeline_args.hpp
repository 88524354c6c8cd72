#pragma once
// Arguments shared by every command that reads a pipeline file.

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "itwin/cli/commands.hpp"
#include "itwin/config/pipeline.hpp"

namespace itwin::cli {

struct PipelineArgs {
  std::string config;  ///< path; empty = the embedded Fashion-MNIST default
  std::string pipeline;
  std::vector<std::string> steps;
  std::vector<std::string> sets;
};

/// Adds CONFIG, --pipeline/-p, --steps and --set to `cmd`.
void add_pipeline_args(CLI::App* cmd, PipelineArgs& a, bool config_required);

/// Loads the config the arguments name (or the embedded default).
config::Config load_from_args(const PipelineArgs& a);

/// The pipeline a command runs: --pipeline, else `default_pipeline` when the
/// file has it, else the file's only pipeline; cut to --steps.
config::Pipeline select_for_command(const config::Config& cfg, const PipelineArgs& a,
                                    const std::string& default_pipeline);

/// Re-runs the command line `inv` (without --nproc) as `nproc` local ranks:
/// through mpirun when `backend` resolves to mpi, else with itwin's own
/// launcher. Returns the job's exit status.
int spawn_ranks(int nproc, config::BackendKind backend, const Invocation& inv);

/// The embedded default pipeline (use-cases/fashion-mnist/pipeline.yaml).
extern const char* const kEmbeddedPipeline;
extern const char* const kEmbeddedPipelineName;

}  // namespace itwin::cli
