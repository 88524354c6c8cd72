#pragma once
/// Where metrics go. The trainer writes every logged point through this one
/// interface; JSON lines is built in, other trackers (MLflow, TensorBoard)
/// implement the same calls.

#include <cstdint>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace itwin::track {

/// A run a tracker created for this sink (an MLflow run), so that other
/// ranks, trials and the model registry can refer to it.
struct TrackedRun {
  std::string kind;        ///< "mlflow"; empty: this sink keeps no run of its own
  std::string store;       ///< file store root (a path) or the server's http(s) URI
  std::string experiment;  ///< experiment id
  std::string id;          ///< run id
};

struct MetricPoint {
  int64_t step = 0;       ///< optimizer steps so far
  int64_t epoch = 0;      ///< 1-based epoch the values belong to
  double time = 0;        ///< seconds since the Unix epoch
  bool per_step = false;  ///< a step point (train_loss_step, lr) rather than an epoch summary
  std::map<std::string, double> values;
};

class MetricSink {
 public:
  virtual ~MetricSink() = default;
  virtual void params(const std::map<std::string, std::string>& p) { (void)p; }
  virtual void log(const MetricPoint& p) = 0;
  /// status: FINISHED, FAILED, KILLED.
  virtual void close(const std::string& status) { (void)status; }
  /// Steps between step points this sink wants (0: epoch points only).
  virtual int64_t step_interval() const { return 0; }
  virtual TrackedRun tracked_run() const { return {}; }
  /// A resumed run continues from optimizer step `step`: points an earlier
  /// attempt logged after it are dropped where the store allows (they will be
  /// logged again).
  virtual void rewind(int64_t step) { (void)step; }
};

/// One JSON object per line: {"step":..,"epoch":..,"time":..,"train_loss":..}.
/// The file stays open; it is flushed after each epoch point and on close.
class JsonlSink : public MetricSink {
 public:
  explicit JsonlSink(std::string path);
  void log(const MetricPoint& p) override;
  void close(const std::string& status) override;
  void rewind(int64_t step) override;

 private:
  std::string path_;
  std::unique_ptr<std::ofstream> out_;
};

/// Forwards to several sinks.
class MultiSink : public MetricSink {
 public:
  void add(std::unique_ptr<MetricSink> s) { sinks_.push_back(std::move(s)); }
  void params(const std::map<std::string, std::string>& p) override;
  void log(const MetricPoint& p) override;
  void close(const std::string& status) override;
  void rewind(int64_t step) override;
  /// The smallest step interval any sink wants (0: none wants steps).
  int64_t step_interval() const override;
  /// One entry per logger of the pipeline, in order (kind empty where that
  /// logger keeps no run, or is not on this rank).
  const std::vector<TrackedRun>& tracked_runs() const { return runs_; }
  void set_tracked_runs(std::vector<TrackedRun> r) { runs_ = std::move(r); }

 private:
  std::vector<std::unique_ptr<MetricSink>> sinks_;
  std::vector<TrackedRun> runs_;
};

/// Reads a JSON-lines metrics file back (for resume and tests).
std::vector<MetricPoint> read_jsonl(const std::string& path);

}  // namespace itwin::track
