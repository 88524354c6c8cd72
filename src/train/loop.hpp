#pragma once
// What the training loops share (internal to src/train): the trainer of one
// model (trainer.cpp) and the adversarial trainer of two (gan_trainer.cpp)
// name checkpoints, watch monitored values, agree on stop requests, find the
// checkpoint to resume from and end an epoch (best and periodic checkpoints,
// early stopping, --until-epoch pauses, stops) in the same way.

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "itwin/comm/backend.hpp"
#include "itwin/config/specs.hpp"
#include "itwin/train/checkpoint.hpp"

namespace itwin::train {

double now_unix();

/// "epoch-0003", or "epoch-0003-step-000120" for a checkpoint inside an epoch.
std::string checkpoint_name(int64_t epoch, int64_t step = 0);

bool improved(double v, double best, config::Mode mode, double min_delta);

/// The value of `name` in `m`; `val_x` without a validation split falls back
/// to `train_x`; NaN when absent.
double monitored(const std::map<std::string, double>& m, const std::string& name);

/// "epoch 3/10 train_loss 0.25 ... (1.2s, 5000 samples/s)" (m holds epoch_time_s and
/// samples_per_s).
std::string summary_line(int64_t epoch, int64_t epochs, const std::map<std::string, double>& m);

/// Every rank learns whether any rank was asked to stop: 0 or the signal.
int agreed_stop(comm::Backend& comm);

/// Ends a run stopped by `sig` (CollectiveError, exit 75; 130 for SIGINT),
/// naming where and the checkpoint written for it ("" = none new).
[[noreturn]] void stopped(int sig, const std::string& where, const std::string& ckpt_root,
                          const std::string& checkpoint);

/// The checkpoint under `ckpt_root` to continue from, on every rank: rank 0
/// first recovers checkpoints a crash left hidden. Never silently from
/// scratch: when checkpoints exist but none can be read, a RuntimeError names
/// them. nullopt: none yet (rank 0 warns). `*step`: the step it was written at.
std::optional<std::string> resume_point(comm::Backend& comm, const std::string& ckpt_root,
                                        int64_t* step);

/// How an epoch ends (from the trainer's spec and the run).
struct EpochPolicy {
  const config::CheckpointSpec& checkpoint;
  const config::EarlyStopSpec& early_stopping;
  int64_t epochs = 0;
  int64_t until_epoch = 0;  ///< pause after this epoch (0: never)
};
struct EpochEnd {
  bool early = false;   ///< early stopping ends the training
  bool paused = false;  ///< --until-epoch reached
};

/// The end of 0-based `epoch` whose metrics are `m`, on every rank at once:
/// best value and early-stopping counters in `st`, the stop agreement, the
/// best checkpoint when the best metric improved, the periodic (or last)
/// checkpoint and pruning. `write(name)` writes a checkpoint (every rank
/// calls it). Throws the stop error after checkpointing when a rank was asked
/// to stop.
EpochEnd end_of_epoch(comm::Backend& comm, const std::string& ckpt_root, const EpochPolicy& policy,
                      int64_t epoch, const std::map<std::string, double>& m, TrainState& st,
                      const std::function<void(const std::string&)>& write);

}  // namespace itwin::train
