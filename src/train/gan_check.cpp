// gan_preflight: do the networks, the data and the settings of a gan_trainer fit?
#include <sstream>

#include "gan_common.hpp"
#include "itwin/train/gan_trainer.hpp"
#include "itwin/util/error.hpp"

namespace itwin::train {
namespace {

std::string first_line(const c10::Error& e) {
  std::string m = e.what_without_backtrace();
  return m.substr(0, m.find('\n'));
}

std::string shape_of(at::IntArrayRef s) {
  std::ostringstream o;
  o << s;
  return o.str();
}

}  // namespace

void gan_preflight(const config::GanTrainerSpec& spec, GanNets nets, const data::DataSplits& data,
                   const config::DistributedSpec& dist) {
  if (dist.strategy == config::StrategyKind::Zero1) {
    throw RuntimeError(
        "gan_trainer trains its two networks with distributed.strategy ddp; zero1 (one sharded "
        "optimizer) "
        "is not supported for them");
  }
  if (data.classification) {
    throw RuntimeError(
        "gan_trainer conditions on real-valued y (or none), but the data set has class labels "
        "(set the dataset's task: regression)");
  }
  const data::TensorData train = in_memory(data.train, "training");
  const int64_t c = train.y.size(1);
  const auto cs = static_cast<int64_t>(spec.condition_scale.size());
  if (cs > 1 && cs != c) {
    throw RuntimeError("condition_scale lists " + std::to_string(cs) +
                       " values, but the data set has " + std::to_string(c) +
                       " condition(s) (columns of y)");
  }
  if (spec.aux_weight > 0 && c == 0) {
    throw RuntimeError(
        "aux_weight needs conditions for the discriminator to regress, but the data set has none "
        "(no y)");
  }
  if (spec.energy_weight > 0) {
    if (spec.energy_column >= c) {
      throw RuntimeError("energy_weight needs the primary energy in column " +
                         std::to_string(spec.energy_column) +
                         " of y (energy_column), but the data set has " + std::to_string(c) +
                         " condition column(s)");
    }
    if ((energy_of(train.y, spec.energy_column) <= 0).any().item<bool>()) {
      throw RuntimeError("energy_weight divides by the primary energy (column " +
                         std::to_string(spec.energy_column) +
                         " of y), but some training samples have an energy <= 0");
    }
  }
  torch::NoGradGuard ng;
  nets.generator.set_training(false);
  nets.discriminator.set_training(false);
  auto x = train.x.slice(0, 0, 2).to(nets.device);
  auto y = train.y.slice(0, 0, 2).to(nets.device);
  const std::string want = shape_of(train.x.sizes().slice(1));
  torch::Tensor g;
  try {
    g = generate(nets.generator, nets.latent, scaled_conditions(y, spec.condition_scale), {0, 1},
                 0);
  } catch (const c10::Error& e) {
    throw RuntimeError("the generator (" + nets.generator.describe() +
                       ") cannot take its input [2, " + std::to_string(nets.latent + c) +
                       "] (latent " + std::to_string(nets.latent) + " + " + std::to_string(c) +
                       " condition(s)): " + first_line(e));
  }
  if (g.dim() < 1 || g.size(0) != x.size(0) || g.numel() != x.numel()) {
    throw RuntimeError("the generator (" + nets.generator.describe() + ") makes " +
                       shape_of(g.sizes()) + " per batch of " + std::to_string(x.size(0)) +
                       ", but the data's samples are " + want);
  }
  torch::Tensor out;
  try {
    out = nets.discriminator.forward(x);
  } catch (const c10::Error& e) {
    throw RuntimeError("the discriminator (" + nets.discriminator.describe() +
                       ") cannot take the data's samples " + shape_of(x.sizes()) + ": " +
                       first_line(e));
  }
  if (out.dim() != 2 || out.size(0) != x.size(0) || (out.size(1) != 1 && out.size(1) != 1 + c)) {
    throw RuntimeError("the discriminator (" + nets.discriminator.describe() + ") outputs " +
                       shape_of(out.sizes()) + " per batch of " + std::to_string(x.size(0)) +
                       "; it must give one score per sample, [N, 1], or a "
                       "score and the " +
                       std::to_string(c) + " condition(s), [N, " + std::to_string(1 + c) + "]");
  }
  if (spec.aux_weight > 0 && out.size(1) != 1 + c) {
    throw RuntimeError("aux_weight needs the discriminator to regress the " + std::to_string(c) +
                       " condition(s) after its score, [N, " + std::to_string(1 + c) +
                       "], but it outputs " + shape_of(out.sizes()));
  }
}

}  // namespace itwin::train
