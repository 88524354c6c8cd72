#pragma once
/// Checkpoints: one directory per checkpoint (model.pt, optimizer.pt,
/// rng.pt, state.json, config.yaml), built in a temp directory and renamed
/// into place, so a crash never leaves a half-written checkpoint.

#include <torch/torch.h>

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
  int64_t step = 0;         ///< optimizer steps so far
  double best = 0;          ///< best monitored value so far
  bool has_best = false;
  double es_best = 0;       ///< best early-stopping value so far
  bool es_has_best = false;
  int64_t bad_epochs = 0;   ///< epochs without improvement (early stopping)
  double train_seconds = 0; ///< training wall time before this process
  std::vector<std::map<std::string, double>> history;  ///< per-epoch metrics
};

/// Writes checkpoint `name` under `root` (e.g. root/epoch-0003).
void save_checkpoint(const std::string& root, const std::string& name, models::Model& model,
                     torch::optim::Optimizer& opt, const TrainState& st, const std::string& config_yaml);

/// The checkpoint directory with the most completed epochs, if any.
std::optional<std::string> latest_checkpoint(const std::string& root);

/// Restores the model (when given), the optimizer (when given) and the
/// global RNG; returns the loop state.
TrainState load_checkpoint(const std::string& dir, models::Model* model, torch::optim::Optimizer* opt);

/// Removes periodic checkpoints (epoch-*) beyond the newest `keep`.
void prune_checkpoints(const std::string& root, int64_t keep);

}  // namespace itwin::train
