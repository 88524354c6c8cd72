#pragma once
/// The training loop of one rank. Data parallelism plugs in through the
/// Strategy (strategy.hpp: gradient reduction and the optimizer's share),
/// the sampler (which indices a rank sees) and the metric-sum reduction.
///
/// Per epoch, on every rank:
///   1. the rank's share of the shuffled indices (DistributedSampler rules);
///   2. per optimizer step: batch, forward, backward, gradient reduction,
///      update; every rank agrees on stop requests at step boundaries;
///   3. epoch end: buffers and metric sums reduced, validation, loggers,
///      best/periodic checkpoints, early stopping, stop requests again.
/// A stop request (SIGTERM, SIGUSR1, SIGINT, SIGHUP) ends the run with a
/// checkpoint to resume from, at any step and in any phase.

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "itwin/comm/backend.hpp"
#include "itwin/config/specs.hpp"
#include "itwin/data/dataset.hpp"
#include "itwin/models/model.hpp"
#include "itwin/track/sink.hpp"
#include "itwin/train/checkpoint.hpp"
#include "itwin/train/device.hpp"
#include "itwin/train/objective.hpp"
#include "itwin/train/profile.hpp"
#include "itwin/train/progress.hpp"
#include "itwin/train/strategy.hpp"
#include "itwin/util/sysinfo.hpp"

namespace itwin::train {

struct TrainerEnv {
  const config::RunSpec& run;
  std::string run_dir;      ///< checkpoints go to <run_dir>/checkpoints
  std::string config_yaml;  ///< resolved config, stored in checkpoints
  bool resume = false;      ///< continue from the latest checkpoint
  bool print = true;        ///< rank 0 prints progress
  track::MetricSink& sink;
  comm::Backend* comm = nullptr;      ///< nullptr: one process
  config::DistributedSpec dist = {};  ///< strategy, buckets, compression
  int64_t until_epoch = 0;            ///< stop (PAUSED) after this epoch; 0: train all epochs
  /// > 0: itwin chose this many intra-op threads and gives up, epoch by
  /// epoch, the cores other processes keep busy (a shared login node); 0: fixed.
  int64_t adaptive_threads = 0;
  CpuSnapshot cpu_at_start = {};       ///< the CPUs' use when the run started
  torch::Device device = torch::kCPU;  ///< where the model lives; batches go there
};

struct TrainResult {
  std::map<std::string, double> final_metrics;  ///< last epoch + test_*
  int64_t epochs_done = 0;
  int64_t steps = 0;
  bool early_stopped = false;
  bool resumed = false;
  bool paused = false;         ///< stopped after until_epoch with a checkpoint
  double train_seconds = 0;    ///< wall time in the training loop (all sessions)
  double samples_per_s = 0;    ///< training samples per second (this session)
  double first_step_unix = 0;  ///< wall clock when the first optimizer step of this session ended
  PhaseTimes profile;          ///< this rank's phases over this session
  std::vector<PhaseTimes> rank_profiles;  ///< every rank's (world entries, rank order)
};

class Trainer {
 public:
  Trainer(const config::TrainerSpec& spec, models::Model& model, const data::DataSplits& data,
          const TrainerEnv& env);
  ~Trainer();
  TrainResult run();

 private:
  struct EpochRun;
  void resume();
  /// One epoch; false when a stop request ended it (a checkpoint is written).
  void run_epoch(int64_t epoch);
  void train_step(EpochRun& e, int64_t i);
  /// Validation, loggers, checkpoints, early stopping; true: stop training early.
  bool end_epoch(int64_t epoch, EpochRun& e);
  void write_checkpoint(const std::string& name);
  void zero_grads();
  /// Adaptive threads: the cores other processes left free since `since`.
  void adapt_threads(const CpuSnapshot& since);

  const config::TrainerSpec& spec_;
  models::Model& model_;
  const data::DataSplits& data_;
  const TrainerEnv& env_;
  std::unique_ptr<comm::Backend> own_comm_;
  comm::Backend* comm_;
  int rank_, world_;
  bool lead_;
  std::string ckpt_root_;
  std::unique_ptr<Strategy> strategy_;
  std::unique_ptr<torch::optim::Optimizer> opt_;
  std::vector<torch::Tensor> params_;
  TrainState st_;
  TrainResult result_;
  Progress progress_;
  PhaseTimes times_;
  LossScaler scaler_;
  std::map<std::string, double> last_;
  double session_seconds_ = 0;
  int64_t session_samples_ = 0;
  int64_t resume_step_ = 0;  ///< the step the checkpoint to resume from was written at
};

/// Trainer(spec, model, data, env).run().
TrainResult train_model(const config::TrainerSpec& spec, models::Model& model,
                        const data::DataSplits& data, const TrainerEnv& env);

/// Checks that the model takes the data and the loss fits the labels, with
/// one tiny forward pass. Throws RuntimeError saying what does not fit.
void preflight(const config::TrainerSpec& spec, models::Model& model, const data::DataSplits& data,
               const torch::Device& device = torch::kCPU);

/// Evaluates `model` on `d` without gradients; metrics named `<prefix>...`.
/// With `comm`, each rank takes every world-th sample and the sums are
/// reduced, so every rank gets the metrics of the whole split.
std::map<std::string, double> evaluate(const config::TrainerSpec& spec, models::Model& model,
                                       const data::Split& d, const std::string& prefix,
                                       comm::Backend* comm = nullptr,
                                       const torch::Device& device = torch::kCPU);

}  // namespace itwin::train
