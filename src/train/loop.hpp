#pragma once
// What the training loops share (internal to src/train): the trainer of one
// model (trainer.cpp) and the adversarial trainer of two (gan_loop.hpp)
// name checkpoints, watch monitored values, agree on stop requests, find the
// checkpoint to resume from, start an epoch (order, steps, a mid-epoch
// resume), stop inside one, agree on fp16 overflows and end an epoch (best
// and periodic checkpoints, early stopping, --until-epoch pauses, stops) in
// the same way.

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "itwin/comm/backend.hpp"
#include "itwin/config/specs.hpp"
#include "itwin/data/dataset.hpp"
#include "itwin/train/checkpoint.hpp"
#include "itwin/train/device.hpp"
#include "itwin/train/profile.hpp"
#include "itwin/train/progress.hpp"

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

/// What shapes every epoch of a loop (from its spec and run).
struct EpochShape {
  bool shuffle = true;
  uint64_t seed = 0;
  int64_t epochs = 1;
  int64_t batch = 1;
  int64_t max_steps = 0;  ///< per-epoch step cap (0: the whole epoch)
  bool drop_last = false;
};

/// An epoch as this rank starts it.
struct EpochStart {
  std::vector<int64_t> order;   ///< this rank's samples, in order (DistributedSampler semantics)
  int64_t steps = 0;            ///< its batches, capped by max_steps
  int64_t first = 0;            ///< the batch to start from: > 0 after a mid-epoch checkpoint
  int64_t carried_samples = 0;  ///< samples before `first` (all ranks' on rank 0; 0 elsewhere)
  double carried_seconds = 0;   ///< the epoch's time before `first`
};

/// Starts 0-based `epoch` on every rank: this rank's order and steps, the
/// progress display, and after a mid-epoch checkpoint (st.epoch_step > 0)
/// where it stopped: rank 0 takes back the metric `sums` (when their size
/// matches) and the samples; st.epoch_step is cleared. Then `train`'s pass
/// begins at batch `first`.
EpochStart begin_epoch(const data::Split& train, const EpochShape& shape, int64_t epoch,
                       const comm::Backend& comm, TrainState& st, std::vector<double>& sums,
                       Progress& progress);

/// A stop request `sig`, agreed after `steps` batches of 0-based `epoch`:
/// the epoch's `sums` (reduced over ranks in place), `samples` (this rank's,
/// summed over ranks) and `seconds` go to st's epoch_* fields, every rank
/// calls `write` for the mid-epoch checkpoint, and the run ends (stopped()).
/// begin_epoch() continues from it.
[[noreturn]] void stop_mid_epoch(comm::Backend& comm, const std::string& ckpt_root, int sig,
                                 int64_t epoch, int64_t steps, std::vector<double>& sums,
                                 int64_t samples, double seconds, TrainState& st,
                                 const std::function<void(const std::string&)>& write);

/// After the gradients of `params` were reduced: fp16 unscales them and every
/// rank learns whether all ranks' are finite (a step with an overflow is
/// skipped on every rank). true without loss scaling.
bool unscale_agreed(const LossScaler& scaler, const std::vector<torch::Tensor>& params,
                    comm::Backend& comm);

/// Every rank's phase times, in rank order (a collective: all ranks call it).
std::vector<PhaseTimes> gather_profiles(comm::Backend& comm, const PhaseTimes& mine);

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
