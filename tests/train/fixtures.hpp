#pragma once
// What the in-process trainer tests share (train_test.cpp, gan_trainer_test.cpp):
// an environment for one training call and a weight comparison. Include it
// after the torch headers and before Catch (see train_test.cpp).

#include <string>
#include <vector>

#include "itwin/config/specs.hpp"
#include "itwin/models/model.hpp"
#include "itwin/track/sink.hpp"
#include "itwin/train/trainer.hpp"

namespace itwin::test {

/// A metric sink that keeps the points it is given.
struct RecordingSink : track::MetricSink {
  std::vector<track::MetricPoint> points;
  void log(const track::MetricPoint& p) override { points.push_back(p); }
};

/// A TrainerEnv for one training call in `dir` (no progress lines) with the
/// run spec and sink it refers to, alive as long as it is.
struct TrainCall {
  config::RunSpec run;
  RecordingSink sink;
  train::TrainerEnv env;
  explicit TrainCall(const std::string& dir, bool resume = false, int64_t until_epoch = 0)
      : env{run, dir, "", resume, false, sink} {
    env.until_epoch = until_epoch;
  }
  TrainCall(const TrainCall&) = delete;
  TrainCall& operator=(const TrainCall&) = delete;
};

/// The same tensors under the same names, bit for bit.
inline bool same_weights(models::Model& a, models::Model& b) {
  auto sa = a.state(), sb = b.state();
  if (sa.size() != sb.size()) return false;
  for (size_t i = 0; i < sa.size(); ++i)
    if (sa[i].first != sb[i].first || !torch::equal(sa[i].second, sb[i].second)) return false;
  return true;
}

}  // namespace itwin::test
