#pragma once
/// Where metrics go. The trainer writes every logged point through this one
/// interface; JSON lines is built in, other trackers (MLflow, TensorBoard)
/// implement the same three calls.

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace itwin::track {

struct MetricPoint {
  int64_t step = 0;    ///< optimizer steps so far
  int64_t epoch = 0;   ///< 1-based epoch the values belong to
  double time = 0;     ///< seconds since the Unix epoch
  std::map<std::string, double> values;
};

class MetricSink {
 public:
  virtual ~MetricSink() = default;
  virtual void params(const std::map<std::string, std::string>& p) { (void)p; }
  virtual void log(const MetricPoint& p) = 0;
  /// status: FINISHED, FAILED, KILLED.
  virtual void close(const std::string& status) { (void)status; }
};

/// One JSON object per line: {"step":..,"epoch":..,"time":..,"train_loss":..}.
class JsonlSink : public MetricSink {
 public:
  explicit JsonlSink(std::string path) : path_(std::move(path)) {}
  void log(const MetricPoint& p) override;

 private:
  std::string path_;
};

/// Forwards to several sinks.
class MultiSink : public MetricSink {
 public:
  void add(std::unique_ptr<MetricSink> s) { sinks_.push_back(std::move(s)); }
  void params(const std::map<std::string, std::string>& p) override;
  void log(const MetricPoint& p) override;
  void close(const std::string& status) override;

 private:
  std::vector<std::unique_ptr<MetricSink>> sinks_;
};

/// Reads a JSON-lines metrics file back (for resume and tests).
std::vector<MetricPoint> read_jsonl(const std::string& path);

}  // namespace itwin::track
