#pragma once
/// The training loop of one process. Data-parallel training (the
/// distributed issue) plugs in at three seams marked below: which indices a
/// rank sees, the gradient reduction after backward, and the metric sums
/// reduction; the loop itself does not change.

#include <map>
#include <string>

#include "itwin/comm/backend.hpp"
#include "itwin/config/specs.hpp"
#include "itwin/data/dataset.hpp"
#include "itwin/models/model.hpp"
#include "itwin/track/sink.hpp"

namespace itwin::train {

struct TrainerEnv {
  const config::RunSpec& run;
  std::string run_dir;         ///< checkpoints go to <run_dir>/checkpoints
  std::string config_yaml;     ///< resolved config, stored in checkpoints
  bool resume = false;         ///< continue from the latest checkpoint
  bool print = true;           ///< rank 0 prints progress
  track::MetricSink& sink;
  comm::Backend* comm = nullptr;       ///< nullptr: one process
  config::DistributedSpec dist = {};   ///< strategy, buckets, compression
};

struct TrainResult {
  std::map<std::string, double> final_metrics;  ///< last epoch + test_*
  int64_t epochs_done = 0;
  int64_t steps = 0;
  bool early_stopped = false;
  bool resumed = false;
  double train_seconds = 0;     ///< wall time in the training loop (all sessions)
  double samples_per_s = 0;     ///< training samples per second (this session)
  double first_step_unix = 0;   ///< wall clock when the first optimizer step of this session ended
};

TrainResult train_model(const config::TrainerSpec& spec, models::Model& model, const data::DataSplits& data,
                        const TrainerEnv& env);

/// Evaluates `model` on `d` without gradients; metrics named `<prefix>...`.
/// With `comm`, each rank takes every world-th sample and the sums are
/// reduced, so every rank gets the metrics of the whole split.
std::map<std::string, double> evaluate(const config::TrainerSpec& spec, models::Model& model, const data::TensorData& d,
                                       const std::string& prefix, comm::Backend* comm = nullptr);

}  // namespace itwin::train
