#pragma once
/// Checkpoints: one directory per checkpoint (model.pt, optimizer.pt,
/// rng.pt, state.json, config.yaml), built in a temp directory and renamed
/// into place, so a crash never leaves a half-written checkpoint.

#include <torch/torch.h>

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "itwin/models/model.hpp"

namespace itwin::train {

struct TrainState {
  int64_t epochs_done = 0;  ///< completed epochs
  int64_t epoch_step = 0;   ///< steps done in the unfinished epoch (mid-epoch checkpoints; else 0)
  std::vector<double> epoch_sums;  ///< its metric sums so far
  int64_t epoch_samples = 0;       ///< its samples so far (all ranks)
  double epoch_seconds = 0;        ///< its time so far
  int64_t step = 0;                ///< optimizer steps so far
  double best = 0;                 ///< best monitored value so far
  bool has_best = false;
  double es_best = 0;  ///< best early-stopping value so far
  bool es_has_best = false;
  int64_t bad_epochs = 0;    ///< epochs without improvement (early stopping)
  double train_seconds = 0;  ///< training wall time before this process
  double loss_scale = 0;     ///< fp16 loss scaling: the scale (0: none)
  int64_t scale_growth = 0;  ///< and its finite steps since it last changed
  std::vector<std::map<std::string, double>> history;  ///< per-epoch metrics
  std::map<std::string, int64_t>
      counters;  ///< a loop's own counts (gan_trainer: "generator_steps")
};

/// More files in a checkpoint (a GAN's second optimizer): the file's name and
/// a function that writes it at the path given.
using CheckpointFiles =
    std::vector<std::pair<std::string, std::function<void(const std::string& path)>>>;

/// Writes checkpoint `name` under `root` (e.g. root/epoch-0003). With
/// `shards` (the files shard_file() named, one per rank, complete), the
/// optimizer state is sharded (zero1): they move into the checkpoint as
/// optimizer-rank-R.pt instead of rank 0's optimizer.pt. `extra` files are
/// written into the checkpoint too, before it is renamed into place.
void save_checkpoint(const std::string& root, const std::string& name, models::Model& model,
                     torch::optim::Optimizer& opt, const TrainState& st,
                     const std::string& config_yaml, const std::vector<std::string>& shards = {},
                     const CheckpointFiles& extra = {});

/// Where rank `rank` puts its optimizer shard for checkpoint `name` before
/// rank 0 assembles it (a dot-directory under root that no lookup takes).
std::string shard_file(const std::string& root, const std::string& name, int rank);

/// This rank's optimizer shard for checkpoint `name`, written to shard_file().
void save_optimizer_shard(const std::string& root, const std::string& name,
                          torch::optim::Optimizer& opt, int rank);

/// Restores this rank's shard from checkpoint `dir` when it was written by
/// `world` ranks; otherwise (another world size, a full optimizer.pt) the
/// optimizer starts afresh, with a warning.
void load_optimizer_shard(const std::string& dir, torch::optim::Optimizer& opt, int rank,
                          int world);

/// Ranks whose optimizer shards checkpoint `dir` holds (0: one full optimizer.pt).
int64_t optimizer_shards(const std::string& dir);

/// The checkpoints under a root: the most advanced readable one, and the
/// ones that cannot be read (directory, why).
struct CheckpointScan {
  std::optional<std::string> latest;
  int64_t latest_step = 0;  ///< the optimizer step `latest` was written at
  std::vector<std::pair<std::string, std::string>> unreadable;
};
CheckpointScan scan_checkpoints(const std::string& root);

/// The readable checkpoint directory with the most progress, if any.
std::optional<std::string> latest_checkpoint(const std::string& root);

/// After a crash: puts back a checkpoint hidden while it was being replaced
/// (.old-NAME-PID without NAME) and removes half-written ones (.tmp-*,
/// .shards-*). Rank 0, before anything reads the checkpoints.
void recover_checkpoints(const std::string& root);

/// Restores the model (when given), the optimizer (when given) and the
/// global RNG; returns the loop state. A damaged file is a RuntimeError
/// naming the file (and, for state.json, the field).
TrainState load_checkpoint(const std::string& dir, models::Model* model,
                           torch::optim::Optimizer* opt);

/// Removes periodic checkpoints (epoch-*) beyond the newest `keep`.
void prune_checkpoints(const std::string& root, int64_t keep);

}  // namespace itwin::train
