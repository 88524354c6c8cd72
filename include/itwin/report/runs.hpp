#pragma once
/// Runs read back for `itwin report`: run directories (summary.json and
/// metrics.jsonl), scaling studies (scaling.json from `itwin submit
/// --scaling`), any directory tree holding runs (HPO studies), and MLflow file
/// stores or experiments. Torch-free; docs/report.md lists what is read.

#include <cmath>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace itwin::report {

/// One epoch of a run.
struct Epoch {
  int64_t epoch = 0;           ///< 1-based
  int64_t step = -1;           ///< optimizer steps at its end (-1: unknown)
  double time_s = NAN;         ///< epoch_time_s: the training loop of the epoch
  double samples_per_s = NAN;  ///< all ranks together
  std::map<std::string, double>
      ms;  ///< per-step means: data, forward, backward, optimizer, comm, comm_exposed
};

/// What the report needs of one run.
struct Run {
  std::string id;      ///< its directory, or mlflow:STORE/EXPERIMENT/RUN
  std::string status;  ///< FINISHED, FAILED, KILLED
  std::string backend = "?", strategy = "?";
  int64_t world_size = 1;  ///< ranks
  int64_t nodes = 1;
  std::vector<Epoch> epochs;   ///< in epoch order, one each (the last record of an epoch wins)
  double train_seconds = NAN;  ///< summary.json
  double samples_per_s = NAN;  ///< summary.json: the whole training, all ranks
  std::map<std::string, double>
      profile_ms;  ///< summary.json profile.ms_per_step (means over ranks)
  int64_t profile_steps = 0;
  nlohmann::json monitor;   ///< summary.json monitor (null: not measured)
  int64_t epochs_done = 0;  ///< summary.json epochs (used when no per-epoch records exist)
  std::string run_dir;      ///< summary.json run_dir: the same run reached twice is read once
  std::vector<std::string> notes;  ///< what was odd about its files
};

struct Loaded {
  std::vector<Run> runs;
  std::vector<std::string> skipped;  ///< "WHERE: why" for what looked like a run but was left out
};

/// Every finished run under `paths`, each read once. A path is a run
/// directory (holds summary.json), a scaling study (scaling.json or its
/// directory), an MLflow file store or experiment directory, or any tree
/// holding those. Throws UsageError for a path that does not exist.
Loaded load_runs(const std::vector<std::string>& paths);

/// One run directory; throws RuntimeError when its summary.json is unreadable.
Run load_run_dir(const std::string& dir);

/// The fields of a summary.json that the report uses, onto `r`.
void apply_summary(const nlohmann::json& summary, Run& r);

}  // namespace itwin::report
