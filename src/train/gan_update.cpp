// One adversarial step: a discriminator update, then maybe a generator update (gan_update.hpp).
#include "gan_update.hpp"

#include <cmath>
#include <utility>

#include "gan_common.hpp"
#include "itwin/train/gan_loss.hpp"
#include "loop.hpp"
#include "optimizer.hpp"

namespace itwin::train {

GanUpdate::GanUpdate(const config::GanTrainerSpec& spec, GanNets nets, comm::Backend& comm,
                     uint64_t seed, std::vector<int64_t> sample_shape)
    : spec_(spec),
      nets_(nets),
      comm_(comm),
      seed_(seed),
      sample_shape_(std::move(sample_shape)),
      scaler_(spec.precision == config::Precision::Fp16) {}

void GanUpdate::setup(const config::DistributedSpec& dist) {
  sg_ = make_strategy(dist, comm_);
  sd_ = make_strategy(dist, comm_);
  sg_->setup(nets_.generator);
  sd_->setup(nets_.discriminator);
  og_ = make_optimizer(spec_.generator.optimizer, sg_->optimizer_params(nets_.generator));
  od_ = make_optimizer(spec_.discriminator.optimizer, sd_->optimizer_params(nets_.discriminator));
  gparams_ = nets_.generator.parameters();
  dparams_ = nets_.discriminator.parameters();
}

void GanUpdate::sync_buffers() {
  sg_->sync_buffers(nets_.generator);
  sd_->sync_buffers(nets_.discriminator);
}

bool GanUpdate::update(const torch::Tensor& loss, Strategy& s, torch::optim::Optimizer& opt,
                       models::Model& net, std::vector<torch::Tensor>& params, bool only_params,
                       Laps& laps, PhaseTimes& times) {
  opt.zero_grad();
  for (auto& p : params)
    if (p.grad().defined()) p.mutable_grad().zero_();
  s.before_backward(true);
  if (only_params) {
    torch::autograd::backward({scaler_.scale(loss)}, {}, c10::nullopt, false, params);
  } else {
    scaler_.scale(loss).backward();
  }
  laps.lap(Phase::Backward);
  s.reduce_gradients();
  laps.lap(Phase::CommExposed);
  const bool finite = unscale_agreed(scaler_, s.optimizer_params(net), comm_);
  if (finite) s.step(opt, spec_.grad_clip);
  laps.lap(Phase::Optimizer);
  times.add(Phase::Comm, s.take_comm_seconds());
  return finite;
}

StepValues GanUpdate::step(const GanBatch& b, int64_t epoch, bool generator_step,
                           const NonFinite& nonfinite, Laps& laps, PhaseTimes& times) {
  const auto e = static_cast<uint64_t>(epoch);
  const torch::Device device = b.x.device();
  const double scale = scaler_.enabled() ? scaler_.value() : 1.0;
  StepValues v;

  // 1. The discriminator, on real samples and detached generated ones.
  {
    Autocast amp(spec_.precision, device);
    torch::Tensor fake, eps;
    {
      torch::NoGradGuard ng;
      fake = generate(nets_.generator, nets_.latent, b.yc, b.ids,
                      noise_key(seed_, e, NoisePurpose::Discriminator), sample_shape_);
    }
    if (spec_.gradient_penalty > 0)
      eps = keyed_uniform(b.ids, noise_key(seed_, e, NoisePurpose::Penalty)).to(device);
    v.d = critic_terms(spec_, nets_.discriminator, b.x, fake, b.yc, eps, scale);
  }
  v.d_loss = v.d.loss.item<double>();
  laps.lap(Phase::Forward);
  if (!std::isfinite(v.d_loss)) nonfinite("discriminator", v.d_loss);
  bool finite = update(v.d.loss, *sd_, *od_, nets_.discriminator, dparams_, false, laps, times);

  // 2. The generator: only its parameters receive gradients (backward with
  // inputs), so the discriminator's hooks stay quiet and its gradients untouched.
  if (generator_step) {
    v.generator = true;
    {
      Autocast amp(spec_.precision, device);
      auto fake = generate(nets_.generator, nets_.latent, b.yc, b.ids,
                           noise_key(seed_, e, NoisePurpose::Generator), sample_shape_);
      v.g = generator_terms(spec_, nets_.discriminator, fake, b.yc,
                            energy_of(b.y, spec_.energy_column), energy_ratio_);
    }
    v.g_loss = v.g.loss.item<double>();
    laps.lap(Phase::Forward);
    if (!std::isfinite(v.g_loss)) nonfinite("generator", v.g_loss);
    finite = update(v.g.loss, *sg_, *og_, nets_.generator, gparams_, true, laps, times) && finite;
  }
  scaler_.update(finite);  // once per batch: an overflow in either backs the scale off
  return v;
}

}  // namespace itwin::train
