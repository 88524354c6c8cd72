#pragma once
// Each network's loss on a batch, assembled from the terms of gan_loss.hpp
// with the gan_trainer's weights (internal to src/train).

#include <torch/torch.h>

#include "itwin/config/specs.hpp"
#include "itwin/models/model.hpp"

namespace itwin::train {

/// The discriminator's loss on a batch and the parts an epoch sums.
struct CriticTerms {
  torch::Tensor loss;  ///< adversarial + gradient_penalty * gp + aux_weight * aux
  double gp = 0;       ///< the gradient penalty (0 when off)
  double aux = 0;      ///< mean |regressed conditions of x - yc| (0 when off)
  double real = 0;     ///< mean score of the real samples
  double fake = 0;     ///< and of the generated ones
};

/// D's loss for real samples `x` and generated `fake` with scaled conditions
/// `yc` [N, C]; `eps` [N] places the penalty's points (undefined when
/// spec.gradient_penalty is 0); `loss_scale` is the fp16 loss scale (1
/// without), by which the penalty's inner gradient is scaled against
/// underflow and unscaled again, as PyTorch's AMP recipe does. Scores are
/// taken in float32 under autocast.
CriticTerms critic_terms(const config::GanTrainerSpec& spec, models::Model& d,
                         const torch::Tensor& x, const torch::Tensor& fake, const torch::Tensor& yc,
                         const torch::Tensor& eps, double loss_scale);

/// The generator's loss on a batch and its parts.
struct GeneratorTerms {
  torch::Tensor loss;  ///< adversarial + aux_weight * aux + energy_weight * energy
  double aux = 0;      ///< mean |D's regressed conditions of fake - yc| (0 when off)
  double energy = 0;   ///< total-energy consistency (0 when off)
};

/// G's loss for its samples `fake` (with the graph to G's parameters),
/// conditions `yc`, primary energies `energy` [N] and the data's sum(x) / E
/// `energy_ratio` (both used only for spec.energy_weight).
GeneratorTerms generator_terms(const config::GanTrainerSpec& spec, models::Model& d,
                               const torch::Tensor& fake, const torch::Tensor& yc,
                               const torch::Tensor& energy, double energy_ratio);

}  // namespace itwin::train
