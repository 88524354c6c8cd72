// Conditions, generation and the physics probe shared by gan_trainer and generate.
#include "gan_common.hpp"

#include "itwin/util/error.hpp"

namespace itwin::train {

data::TensorData in_memory(const data::Split& s, const std::string& which) {
  if (s.size() == 0) return {};
  if (const data::TensorData* t = s.tensors()) return *t;
  throw RuntimeError("gan_trainer needs its " + which +
                     " split in memory, but it is streamed from disk");
}

torch::Tensor scaled_conditions(const torch::Tensor& y, const std::vector<double>& scale) {
  if (scale.empty() || y.size(1) == 0) return y;
  auto s = torch::tensor(std::vector<float>(scale.begin(), scale.end())).to(y.device());
  return y / (scale.size() == 1 ? s.expand({y.size(1)}) : s);
}

torch::Tensor generate(models::Model& g, int64_t latent, const torch::Tensor& yc,
                       const std::vector<int64_t>& ids, uint64_t key,
                       const std::vector<int64_t>& sample_shape) {
  auto in = torch::cat({keyed_normal(ids, latent, key).to(yc.device()), yc.to(torch::kFloat32)}, 1);
  auto out = g.forward(in);
  if (sample_shape.empty()) return out;
  std::vector<int64_t> shape = {out.size(0)};
  shape.insert(shape.end(), sample_shape.begin(), sample_shape.end());
  return out.reshape(shape);
}

torch::Tensor energy_of(const torch::Tensor& y, int64_t energy_column) {
  if (!y.defined() || y.dim() != 2 || energy_column >= y.size(1)) return {};
  return y.select(1, energy_column);
}

PhysicsProbe::PhysicsProbe(const config::GanTrainerSpec& spec, const data::TensorData& held)
    : spec_(spec) {
  if (held.size() == 0) return;
  const int64_t n =
      spec.physics.samples > 0 ? std::min(spec.physics.samples, held.size()) : held.size();
  held_ = {held.x.slice(0, 0, n), held.y.slice(0, 0, n)};
  cmp_.emplace(held_.x, energy_of(held_.y, spec.energy_column), spec.physics);
}

std::map<std::string, double> PhysicsProbe::run(models::Model& g, int64_t latent,
                                                const std::string& prefix, uint64_t seed,
                                                comm::Backend* comm, const torch::Device& device) {
  if (!cmp_) return {};
  torch::NoGradGuard ng;
  g.set_training(false);
  const int rank = comm ? comm->rank() : 0, world = comm ? comm->world() : 1;
  std::vector<int64_t> mine;
  for (int64_t i = rank; i < held_.size(); i += world) mine.push_back(i);
  std::vector<double> sums(cmp_->size(), 0.0);
  const auto sample_shape = held_.x.sizes().slice(1).vec();
  const uint64_t key = noise_key(seed, 0, NoisePurpose::Evaluation);  // the same noise every epoch
  for (size_t b = 0; b < mine.size(); b += 256) {
    std::vector<int64_t> ids(mine.begin() + static_cast<long>(b),
                             mine.begin() + static_cast<long>(std::min(mine.size(), b + 256)));
    auto idx = torch::tensor(ids, torch::kInt64);
    auto y = held_.y.index_select(0, idx);
    auto x = generate(g, latent, scaled_conditions(y, spec_.condition_scale).to(device), ids, key,
                      sample_shape)
                 .cpu();
    auto s = cmp_->sums(x, energy_of(y, spec_.energy_column));
    for (size_t k = 0; k < s.size(); ++k) sums[k] += s[k];
  }
  if (comm && comm->world() > 1) comm->allreduce(sums.data(), sums.size(), comm::DType::F64);
  return cmp_->distances(sums, prefix);
}

}  // namespace itwin::train
