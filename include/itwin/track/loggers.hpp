#pragma once
/// The `loggers:` of a pipeline file turned into metric sinks: JSON lines,
/// CSV, the MLflow file store (what `mlflow ui --backend-store-uri DIR`
/// reads) and TensorBoard event files (what `tensorboard --logdir` reads).

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "itwin/config/specs.hpp"
#include "itwin/track/sink.hpp"

namespace itwin::track {

/// What a sink is told about the run when it opens.
struct RunInfo {
  std::string run_dir, run_name, pipeline, config_source;
  std::map<std::string, std::string> params;  ///< the resolved config, flattened (a.b.c -> value)
  std::map<std::string, std::string> tags;    ///< itwin version, git commit, host, ...
  int rank = 0, world = 1;
  std::string job_dir;  ///< the run directory of rank 0 (default stores live there; empty: run_dir)
  /// Per logger (by index): the run this rank's run nests under (MLflow's
  /// mlflow.parentRunId): rank 0's run for the ranks > 0, a study's run for
  /// its trials. Empty entries, or a short list: no parent.
  std::vector<std::string> parent_runs;
  /// Per logger (by index): the run this rank's logger made before, which a
  /// resumed run continues (one MLflow run across preemptions and requeues)
  /// when it still exists; empty: a new run.
  std::vector<TrackedRun> continue_runs;
  /// A resumed run (--resume, run.resume: auto, a requeue): the TensorBoard
  /// logger continues the session an earlier attempt began in its directory.
  bool resumed = false;
};

/// Builds the sinks `specs` select for this rank (each filtered by log_every);
/// tracked_runs() of the result lists the run each logger created.
std::unique_ptr<MultiSink> make_sinks(const std::vector<config::LoggerSpec>& specs,
                                      const RunInfo& run);

/// A tracked run as run files hold it (summary.json, tracked_runs.json):
/// {"kind", "store", "experiment", "run_id"}.
nlohmann::json tracked_run_json(const TrackedRun& r);
TrackedRun tracked_run_from_json(const nlohmann::json& j);

/// The runs this rank's loggers created, kept in its run directory
/// (tracked_runs.json) so that a resume continues them.
void save_tracked_runs(const std::string& dir, const std::vector<TrackedRun>& runs);
std::vector<TrackedRun> load_tracked_runs(const std::string& dir);

/// Flattens a JSON-like tree of strings: {"a": {"b": "1"}} -> {"a.b": "1"}.
void flatten(const std::string& prefix, const std::map<std::string, std::string>& in,
             std::map<std::string, std::string>& out);

/// TensorBoard's record framing: masked CRC-32C (Castagnoli).
uint32_t crc32c(const std::string& data);
uint32_t masked_crc32c(const std::string& data);

}  // namespace itwin::track
