// Adversarial losses, the gradient penalty, the 3DGAN's physics terms and the keyed noise.
#include "itwin/train/gan_loss.hpp"

#include <ATen/CPUGeneratorImpl.h>

namespace itwin::train {
namespace {

uint64_t mix(uint64_t x) {  // splitmix64: decorrelates neighbouring keys
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

template <class Draw>
torch::Tensor keyed_rows(const std::vector<int64_t>& ids, int64_t dim, uint64_t key, Draw draw) {
  auto out = torch::empty({static_cast<int64_t>(ids.size()), dim});
  for (size_t i = 0; i < ids.size(); ++i) {
    auto gen =
        at::make_generator<at::CPUGeneratorImpl>(mix(key ^ mix(static_cast<uint64_t>(ids[i]))));
    out[static_cast<int64_t>(i)].copy_(draw(gen));
  }
  return out;
}

}  // namespace

uint64_t noise_key(uint64_t seed, uint64_t epoch, NoisePurpose purpose) {
  return mix(mix(seed) ^ mix(epoch * 16 + static_cast<uint64_t>(purpose)));
}

torch::Tensor keyed_normal(const std::vector<int64_t>& ids, int64_t dim, uint64_t key) {
  return keyed_rows(ids, dim, key, [dim](at::Generator& g) { return at::randn({dim}, g); });
}

torch::Tensor keyed_uniform(const std::vector<int64_t>& ids, uint64_t key) {
  return keyed_rows(ids, 1, key, [](at::Generator& g) { return at::rand({1}, g); }).view({-1});
}

torch::Tensor discriminator_loss(config::GanLoss loss, const torch::Tensor& real,
                                 const torch::Tensor& fake) {
  switch (loss) {
    case config::GanLoss::NonSaturating:
      return torch::softplus(-real).mean() + torch::softplus(fake).mean();
    case config::GanLoss::Wasserstein:
      return fake.mean() - real.mean();
  }
  return {};
}

torch::Tensor generator_loss(config::GanLoss loss, const torch::Tensor& fake) {
  switch (loss) {
    case config::GanLoss::NonSaturating:
      return torch::softplus(-fake).mean();
    case config::GanLoss::Wasserstein:
      return -fake.mean();
  }
  return {};
}

torch::Tensor gradient_penalty(models::Model& discriminator, const torch::Tensor& real,
                               const torch::Tensor& generated, const torch::Tensor& eps,
                               double loss_scale) {
  std::vector<int64_t> view(static_cast<size_t>(real.dim()), 1);
  view[0] = real.size(0);
  auto e = eps.view(view);
  auto x_hat = (e * real.detach() + (1 - e) * generated.detach()).requires_grad_(true);
  auto score = discriminator.forward(x_hat).select(1, 0).sum();
  if (loss_scale != 1.0) score = score * loss_scale;
  auto grad = torch::autograd::grad({score}, {x_hat}, {}, /*retain_graph=*/true,
                                    /*create_graph=*/true)[0];
  if (loss_scale != 1.0) grad = grad / loss_scale;
  grad = grad.to(torch::kFloat32);
  return (grad.flatten(1).norm(2, 1) - 1).pow(2).mean();
}

torch::Tensor energy_consistency(const torch::Tensor& x, const torch::Tensor& energy,
                                 double ratio) {
  return (x.flatten(1).sum(1) / (energy * ratio) - 1).abs().mean();
}

}  // namespace itwin::train
