#pragma once
// Metric sinks behind `loggers:` (internal to src/track).

#include <memory>

#include "itwin/track/loggers.hpp"

namespace itwin::track {

/// A sink that takes epoch points always and step points every `log_every`
/// steps (log_every 0 = epochs only).
class FilteredSink : public MetricSink {
 public:
  explicit FilteredSink(const config::LoggerSpec& spec) : every_(spec.log_every) {}
  void log(const MetricPoint& p) final {
    if (p.per_step && (every_ == 0 || p.step % every_ != 0)) return;
    write(p);
  }
  int64_t step_interval() const override { return every_; }

 private:
  virtual void write(const MetricPoint& p) = 0;
  int64_t every_;
};

/// The files of a run directory that trackers keep with the run (MLflow
/// artifacts) and the registry copies into a version, those that exist.
inline const std::vector<std::string>& run_files() {
  static const std::vector<std::string> files = {"config.yaml", "model.pt", "model.ts.pt",
                                                 "summary.json", "provenance.json"};
  return files;
}

/// The bytes of run file `name` as they leave the run directory (MLflow
/// artifacts, registry copies): config.yaml with its credentials removed.
std::string run_file_bytes(const std::string& run_dir, const std::string& name);

/// An MLflow run's name: run.name, or NAME-rank-N for the ranks > 0 of a job.
std::string mlflow_run_name(const RunInfo& run);
/// The tags of every MLflow run itwin makes (file store and server): the
/// run's provenance tags, its config file, pipeline, rank layout and parent.
std::map<std::string, std::string> mlflow_tags(const config::LoggerSpec& spec, const RunInfo& run);

std::unique_ptr<MetricSink> make_jsonl(const config::LoggerSpec& spec, const RunInfo& run);
std::unique_ptr<MetricSink> make_csv(const config::LoggerSpec& spec, const RunInfo& run);
std::unique_ptr<MetricSink> make_mlflow(const config::LoggerSpec& spec, const RunInfo& run);
std::unique_ptr<MetricSink> make_mlflow_rest(const config::LoggerSpec& spec, const RunInfo& run,
                                             const std::string& uri);
std::unique_ptr<MetricSink> make_tensorboard(const config::LoggerSpec& spec, const RunInfo& run);

}  // namespace itwin::track
