#pragma once
// Pieces the gan_trainer and the generate step share (internal to src/train):
// how the networks see conditions, how samples are generated, and the physics
// probe on a held-out split.

#include <torch/torch.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "itwin/comm/backend.hpp"
#include "itwin/config/specs.hpp"
#include "itwin/data/dataset.hpp"
#include "itwin/models/model.hpp"
#include "itwin/train/gan_loss.hpp"
#include "itwin/train/shower_metrics.hpp"

namespace itwin::train {

/// The samples of a split held in memory (an empty TensorData for an empty
/// split). The adversarial loop reads the whole training set once (the
/// data's energy scale) and the physics probe keeps held-out showers, so a
/// split streamed from disk is refused with a RuntimeError naming `which`.
data::TensorData in_memory(const data::Split& s, const std::string& which);

/// What the networks see of conditions y [N, C]: y / scale (scale: empty =
/// 1, one value for every column, or one per column).
torch::Tensor scaled_conditions(const torch::Tensor& y, const std::vector<double>& scale);

/// Samples of `g` for scaled conditions `yc` [n, C] and noise keyed by `ids`
/// and `key` (drawn on the CPU, moved to yc's device), reshaped to [n, sample_shape...] when
/// `sample_shape` is given.
torch::Tensor generate(models::Model& g, int64_t latent, const torch::Tensor& yc,
                       const std::vector<int64_t>& ids, uint64_t key,
                       const std::vector<int64_t>& sample_shape = {});

/// The primary energies y[:, energy_column], or an undefined tensor when y has no such column.
torch::Tensor energy_of(const torch::Tensor& y, int64_t energy_column);

/// The physics distances of generated samples on a held-out split (its first
/// spec.physics.samples samples), the reference computed once.
class PhysicsProbe {
 public:
  PhysicsProbe(const config::GanTrainerSpec& spec, const data::TensorData& held);
  /// Every rank generates every world-th sample (the generator, on
  /// `device`, left in eval mode); one allreduce; every rank gets prefix +
  /// esum_dist, ... (the comparison itself on the CPU).
  std::map<std::string, double> run(models::Model& g, int64_t latent, const std::string& prefix,
                                    uint64_t seed, comm::Backend* comm,
                                    const torch::Device& device = torch::kCPU);

 private:
  const config::GanTrainerSpec& spec_;
  data::TensorData held_;
  std::optional<ShowerComparison> cmp_;
};

}  // namespace itwin::train
