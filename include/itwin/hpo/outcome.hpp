#pragma once
/// What a trial's run directory says about a segment: the epochs its
/// metrics.jsonl gained, its summary.json, and the verdict on how it ended.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "itwin/hpo/study.hpp"

namespace itwin::hpo {

/// The epoch lines a metrics.jsonl gains, read as they appear (a line still
/// being written is left for the next call). Step points are skipped.
class MetricsTail {
 public:
  explicit MetricsTail(std::string path) : path_(std::move(path)) {}
  /// New epoch lines: epoch -> the line's numbers (null, e.g. a NaN loss, as NaN).
  /// An epoch's first point is the trainer's; later points of the same epoch
  /// (the final test_* metrics, the monitor's closing point) are not epochs.
  std::vector<std::pair<int64_t, std::map<std::string, double>>> poll();

 private:
  std::string path_;
  uint64_t offset_ = 0;
  int64_t last_epoch_ = 0;
};

/// A run directory's summary.json and checkpoints.
struct SegmentOutcome {
  std::string status;  ///< FINISHED, FAILED, KILLED, PAUSED; "" when there is none
  std::string error;
  double finished = 0;      ///< when it was written (Unix seconds)
  bool checkpoint = false;  ///< checkpoints/ exists: a resume can continue it
};
SegmentOutcome read_outcome(const std::string& run_dir);

struct Verdict {
  Status status = Status::kFailed;
  std::string reason;
};

/// How a segment ended, from its exit status (-1: unknown, the controller
/// was gone) and its fresh summary (status "" when none or stale):
/// 0 and PAUSED before max_t: paused; 0 otherwise: completed; 75, 130 or
/// SIGTERM after a scheduler's stop: stopped, else interrupted (resume it);
/// 3: failed, diverged; 2: failed, bad input; 128+N: failed, killed by signal N.
Verdict classify(int exit, const SegmentOutcome& o, int64_t epochs, int64_t max_t,
                 bool stop_requested, const std::string& stop_reason);

}  // namespace itwin::hpo
