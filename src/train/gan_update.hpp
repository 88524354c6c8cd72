#pragma once
// One adversarial step of the gan_trainer (internal to src/train): a
// discriminator update and, when it is the generator's turn, a generator
// update, each data-parallel through its own strategy, under the run's
// precision (autocast, and one fp16 loss scale for both, as PyTorch's
// GradScaler does with several optimizers).

#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "gan_terms.hpp"
#include "itwin/comm/backend.hpp"
#include "itwin/config/specs.hpp"
#include "itwin/train/device.hpp"
#include "itwin/train/gan_trainer.hpp"
#include "itwin/train/profile.hpp"
#include "itwin/train/strategy.hpp"

namespace itwin::train {

/// A training batch as the step takes it, on the networks' device.
struct GanBatch {
  std::vector<int64_t> ids;  ///< the samples' indices: they key the noise
  torch::Tensor x;           ///< real samples
  torch::Tensor y;           ///< their conditions
  torch::Tensor yc;          ///< the conditions as the networks see them (scaled)
};

/// What a step gives the epoch's sums.
struct StepValues {
  CriticTerms d;
  double d_loss = 0;
  bool generator = false;  ///< the generator was updated too
  GeneratorTerms g;
  double g_loss = 0;
};

/// Called with "discriminator" or "generator" and the loss when it is not
/// finite, before any update from it; it throws.
using NonFinite = std::function<void(const char* which, double loss)>;

class GanUpdate {
 public:
  GanUpdate(const config::GanTrainerSpec& spec, GanNets nets, comm::Backend& comm, uint64_t seed,
            std::vector<int64_t> sample_shape);
  GanUpdate(const GanUpdate&) = delete;
  GanUpdate& operator=(const GanUpdate&) = delete;

  /// The strategies (every rank starts from rank 0's weights) and the
  /// optimizers: after the weights are loaded, before the first step.
  void setup(const config::DistributedSpec& dist);
  /// The data's mean sum(x) / E, which energy consistency asks of the generator.
  void set_energy_ratio(double r) { energy_ratio_ = r; }

  /// One batch of 0-based `epoch`: the discriminator on `b`'s real samples
  /// and detached generated ones, then (`generator_step`) the generator,
  /// with D's parameters left untouched. Phases go to `laps`, collective
  /// time to `times`.
  StepValues step(const GanBatch& b, int64_t epoch, bool generator_step, const NonFinite& nonfinite,
                  Laps& laps, PhaseTimes& times);

  /// Copies rank 0's buffers of both networks to every rank.
  void sync_buffers();

  torch::optim::Optimizer& generator_optimizer() { return *og_; }
  torch::optim::Optimizer& discriminator_optimizer() { return *od_; }
  LossScaler& scaler() { return scaler_; }

 private:
  /// Backward of `loss` (scaled) into `params` only, reduction, the agreed
  /// overflow check and the update; false when fp16 skipped it.
  bool update(const torch::Tensor& loss, Strategy& s, torch::optim::Optimizer& opt,
              models::Model& net, std::vector<torch::Tensor>& params, bool only_params, Laps& laps,
              PhaseTimes& times);

  const config::GanTrainerSpec& spec_;
  GanNets nets_;
  comm::Backend& comm_;
  uint64_t seed_;
  std::vector<int64_t> sample_shape_;
  double energy_ratio_ = 1;
  std::unique_ptr<Strategy> sg_, sd_;
  std::unique_ptr<torch::optim::Optimizer> og_, od_;
  std::vector<torch::Tensor> gparams_, dparams_;
  LossScaler scaler_;
};

}  // namespace itwin::train
