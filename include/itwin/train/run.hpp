#pragma once
/// Running a selected pipeline: the entry point from the CLI into the
/// training side. Declared without torch types so the CLI compiles without them.

#include <cstdint>
#include <string>
#include <vector>

#include "itwin/config/pipeline.hpp"

namespace itwin::train {

struct RunOptions {
  std::string run_dir;   ///< explicit run directory (default: <run.root>/<run.name>[.N])
  bool resume = false;   ///< continue from the latest checkpoint in the run directory
  int64_t threads = -1;  ///< -1: from the config (run.threads)
  /// Train only up to this epoch (of the configured `epochs`, which the
  /// learning-rate schedule still sees), write a checkpoint and end with
  /// status PAUSED; `--resume` continues exactly (HPO rungs). 0: all epochs.
  int64_t until_epoch = 0;
  /// Nest every mlflow logger's run under this run (an HPO study's run).
  std::string parent_run;
  /// Per logger (by index): the tracked run to nest this run under; empty: none.
  std::vector<std::string> parent_runs;
};

/// Runs every step of `pipeline` in order. Throws itwin::Error on failure.
void run_pipeline(const config::Config& cfg, const config::Pipeline& pipeline,
                  const RunOptions& opts);

}  // namespace itwin::train
