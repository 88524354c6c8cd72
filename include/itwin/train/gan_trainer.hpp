#pragma once
/// Adversarial training of a generator and a discriminator (`type:
/// gan_trainer`), on one rank of a data-parallel world. The loop of the
/// Trainer (trainer.hpp) for two networks: the same sampler, checkpoints,
/// stop agreement, resume, early stopping and profile (src/train/loop.hpp).
///
/// Per training batch (x real samples, y their conditions), on every rank:
///   1. discriminator step: generated samples G([z, y/scale]) for fresh
///      noise z; loss = adversarial(D(x), D(G)) + gradient penalty +
///      aux_weight * |D's regressed conditions of x - y/scale|; ddp reduces
///      D's gradients; D's optimizer steps;
///   2. every critic_steps-th batch, a generator step: loss =
///      adversarial(D(G)) + aux_weight * |D's regressed conditions of G - y/scale|
///      + energy_weight * total-energy consistency; D's parameters are frozen
///      meanwhile; ddp reduces G's gradients; G's optimizer steps.
/// Noise is keyed by (seed, epoch, sample): N ranks with batch B train
/// exactly as one rank with batch N*B (up to BatchNorm's per-rank statistics).
/// Each epoch ends with the physics distances of generated against held-out
/// showers (shower_metrics.hpp) on the validation split.

#include <map>
#include <string>

#include "itwin/config/specs.hpp"
#include "itwin/data/dataset.hpp"
#include "itwin/models/model.hpp"
#include "itwin/train/trainer.hpp"

namespace itwin::train {

struct GanResult : TrainResult {
  int64_t generator_steps = 0;      ///< generator updates (all sessions)
  int64_t discriminator_steps = 0;  ///< discriminator updates = batches (all sessions)
};

/// The generator and discriminator of a gan_trainer, as their model steps made them.
struct GanNets {
  models::Model& generator;
  models::Model& discriminator;
  int64_t latent = 64;                 ///< the generator's noise dimensions
  torch::Device device = torch::kCPU;  ///< where both networks live
};

/// Trains `nets` on `data` (x samples, y real-valued conditions [N, C], C >= 0).
GanResult train_gan(const config::GanTrainerSpec& spec, GanNets nets, const data::DataSplits& data,
                    const TrainerEnv& env);

/// Checks that the networks, the data and the settings fit, with tiny
/// forward passes: the generator takes [noise, conditions] and makes samples
/// of the data's shape, the discriminator takes them and scores them (and
/// regresses the conditions for aux_weight), the energy column exists and is
/// positive. Throws RuntimeError saying what does not fit.
void gan_preflight(const config::GanTrainerSpec& spec, GanNets nets, const data::DataSplits& data,
                   const config::DistributedSpec& dist);

/// The physics distances (prefix + esum_dist, ...; shower_metrics.hpp) of
/// samples the generator makes for the conditions of `held` (its first
/// spec.physics.samples samples) from `held`'s real samples. With `comm`,
/// ranks share the generation and every rank gets the result.
std::map<std::string, double> evaluate_generator(const config::GanTrainerSpec& spec, GanNets nets,
                                                 const data::TensorData& held,
                                                 const std::string& prefix, uint64_t seed,
                                                 comm::Backend* comm = nullptr);

}  // namespace itwin::train
