// Each network's loss on a batch (gan_terms.hpp).
#include "gan_terms.hpp"

#include "itwin/train/gan_loss.hpp"

namespace itwin::train {
namespace {

// D's regression of the conditions: columns 1..C of its output, against yc.
torch::Tensor aux_term(const torch::Tensor& out, const torch::Tensor& yc) {
  return (out.slice(1, 1, 1 + yc.size(1)) - yc).abs().mean();
}

}  // namespace

CriticTerms critic_terms(const config::GanTrainerSpec& spec, models::Model& d,
                         const torch::Tensor& x, const torch::Tensor& fake, const torch::Tensor& yc,
                         const torch::Tensor& eps, double loss_scale) {
  // Under autocast the scores come in half precision: the losses take float32.
  auto out_real = d.forward(x).to(torch::kFloat32), out_fake = d.forward(fake).to(torch::kFloat32);
  CriticTerms t;
  t.loss = discriminator_loss(spec.loss, out_real.select(1, 0), out_fake.select(1, 0));
  if (spec.gradient_penalty > 0) {
    auto pen = gradient_penalty(d, x, fake, eps, loss_scale);
    t.gp = pen.item<double>();
    t.loss = t.loss + spec.gradient_penalty * pen;
  }
  if (spec.aux_weight > 0) {
    auto a = aux_term(out_real, yc);
    t.aux = a.item<double>();
    t.loss = t.loss + spec.aux_weight * a;
  }
  t.real = out_real.select(1, 0).mean().item<double>();
  t.fake = out_fake.select(1, 0).mean().item<double>();
  return t;
}

GeneratorTerms generator_terms(const config::GanTrainerSpec& spec, models::Model& d,
                               const torch::Tensor& fake, const torch::Tensor& yc,
                               const torch::Tensor& energy, double energy_ratio) {
  auto out = d.forward(fake).to(torch::kFloat32);
  GeneratorTerms t;
  t.loss = generator_loss(spec.loss, out.select(1, 0));
  if (spec.aux_weight > 0) {
    auto a = aux_term(out, yc);
    t.aux = a.item<double>();
    t.loss = t.loss + spec.aux_weight * a;
  }
  if (spec.energy_weight > 0) {
    auto c = energy_consistency(fake.to(torch::kFloat32), energy, energy_ratio);
    t.energy = c.item<double>();
    t.loss = t.loss + spec.energy_weight * c;
  }
  return t;
}

}  // namespace itwin::train
