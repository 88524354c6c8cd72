#pragma once
/// The terms of adversarial training (gan_trainer): the noise a generator
/// draws, the adversarial losses, the gradient penalty and the auxiliary
/// physics terms of the 3DGAN (Khattak et al., arXiv:2109.07388).

#include <torch/torch.h>

#include <cstdint>
#include <vector>

#include "itwin/config/catalogs.hpp"
#include "itwin/models/model.hpp"

namespace itwin::train {

/// What a keyed draw is for: each purpose has its own stream.
enum class NoisePurpose : uint64_t {
  Discriminator = 1,
  Generator = 2,
  Penalty = 3,
  Evaluation = 4,
  Generate = 5
};

/// The key of the draws of `purpose` in `epoch` of a run seeded `seed`.
uint64_t noise_key(uint64_t seed, uint64_t epoch, NoisePurpose purpose);

/// Standard normal noise [ids.size(), dim]: row i comes from a generator
/// seeded by (key, ids[i]) alone, so a sample's noise depends on neither the
/// batch it is in, nor the rank that draws it, nor what ran before: N ranks
/// with batch B draw exactly what one rank with batch N*B draws, and a
/// resumed run draws what the uninterrupted one did.
torch::Tensor keyed_normal(const std::vector<int64_t>& ids, int64_t dim, uint64_t key);
/// Uniform in [0, 1), one per id, in the same way: [ids.size()].
torch::Tensor keyed_uniform(const std::vector<int64_t>& ids, uint64_t key);

/// The discriminator's adversarial loss from its scores [N] of real and
/// generated samples. nonsaturating: softplus(-real) + softplus(fake) (binary
/// cross entropy on logits, real = 1); wasserstein: mean(fake) - mean(real).
torch::Tensor discriminator_loss(config::GanLoss loss, const torch::Tensor& real,
                                 const torch::Tensor& fake);
/// The generator's: nonsaturating softplus(-fake); wasserstein -mean(fake).
torch::Tensor generator_loss(config::GanLoss loss, const torch::Tensor& fake);

/// The gradient penalty of WGAN-GP (Gulrajani et al. 2017): the mean over
/// samples of (||d score / d x_hat||_2 - 1)^2 at x_hat = eps x + (1 - eps) g,
/// eps [N] in [0, 1]; score = column 0 of `discriminator`'s output. Keeps the
/// graph, so that its gradient reaches the discriminator's parameters.
/// `loss_scale` (fp16 loss scaling): the inner gradient is taken of the
/// scaled score and divided back, so that it does not underflow in float16.
torch::Tensor gradient_penalty(models::Model& discriminator, const torch::Tensor& real,
                               const torch::Tensor& generated, const torch::Tensor& eps,
                               double loss_scale = 1.0);

/// Total-energy consistency: mean |sum(x) / (ratio * energy) - 1| over
/// samples, `ratio` the data's mean sum(x) / energy (the sampling fraction
/// in data units). x [N, ...], energy [N] > 0.
torch::Tensor energy_consistency(const torch::Tensor& x, const torch::Tensor& energy, double ratio);

}  // namespace itwin::train
