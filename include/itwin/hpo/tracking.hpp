#pragma once
/// A study's tracking: one MLflow parent run per mlflow
/// logger of the pipeline file, the overrides that nest each trial's runs
/// under it, and the final status of trials' runs.

#include <memory>
#include <string>
#include <vector>

#include "itwin/config/pipeline.hpp"
#include "itwin/track/loggers.hpp"

namespace itwin::hpo {

class StudyTracking {
 public:
  /// Opens (or, on a resumed study, continues) the parent runs in study_dir.
  StudyTracking(const config::Config& cfg, const std::string& study_dir);
  ~StudyTracking();

  /// --set overrides for every trial: its mlflow loggers write to the study's
  /// store and experiment, nested under the study's run.
  const std::vector<std::string>& trial_sets() const { return sets_; }
  /// The best score so far, after `done` trials ended (a parent-run metric).
  void log_best(int64_t done, const std::string& metric, double value);
  /// Ends the parent runs (FINISHED, KILLED, FAILED).
  void close(const std::string& status);

 private:
  std::unique_ptr<track::MultiSink> sink_;
  std::vector<std::string> sets_;
  bool closed_ = false;
};

/// Sets the MLflow status of the runs a trial's loggers made (its
/// tracked_runs.json); errors are logged, not thrown (tracking must not end a study).
void mark_trial_runs(const std::string& trial_dir, const std::string& status);

}  // namespace itwin::hpo
