#pragma once
// Internal to src/report: the MLflow file store reader used by load_runs().

#include <string>

#include "itwin/report/runs.hpp"

namespace itwin::report {

/// DIR/<experiment_id>/meta.yaml exists for some numeric experiment id.
bool is_mlflow_store(const std::string& dir);
/// DIR/meta.yaml is an experiment's (not a run's).
bool is_mlflow_experiment(const std::string& dir);
/// DIR/meta.yaml is a run's.
bool is_mlflow_run(const std::string& dir);

/// The rank-0 runs of an MLflow store, experiment or run directory, into `out`.
void load_mlflow(const std::string& dir, Loaded& out);

/// The epochs of the MLflow file-store run at STORE/EXPERIMENT/RUN (metrics/ files).
std::vector<Epoch> read_mlflow_epochs(const std::string& run_path);

/// The epochs of a metrics.jsonl file (step points ignored; a malformed line is skipped).
std::vector<Epoch> read_metrics_jsonl(const std::string& path, int64_t* malformed);

}  // namespace itwin::report
