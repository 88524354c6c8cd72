#include "synthetic.hpp"

#include <cmath>
#include <random>

namespace itwin::data {
namespace {

torch::Tensor normal(std::mt19937_64& rng, std::vector<int64_t> shape, double stddev) {
  std::normal_distribution<float> d(0.0f, static_cast<float>(stddev));
  int64_t n = 1;
  for (auto s : shape) n *= s;
  std::vector<float> v(static_cast<size_t>(n));
  for (auto& f : v) f = d(rng);
  return torch::from_blob(v.data(), shape, torch::kFloat32).clone();
}

}  // namespace

Synthetic make_synthetic(const config::SyntheticSpec& s, uint64_t seed) {
  std::mt19937_64 rng(seed * 7919 + 17);
  Synthetic out;
  switch (s.task) {
    case config::SyntheticTask::Classification: {
      auto centers = normal(rng, {s.classes, s.features}, 1.0);
      auto labels = torch::arange(s.samples, torch::kInt64).remainder(s.classes);
      out.x = centers.index_select(0, labels) + normal(rng, {s.samples, s.features}, s.noise);
      out.y = labels;
      break;
    }
    case config::SyntheticTask::Regression: {
      auto w =
          normal(rng, {s.features, s.targets}, 1.0 / std::sqrt(static_cast<double>(s.features)));
      out.x = normal(rng, {s.samples, s.features}, 1.0);
      out.y = out.x.matmul(w) + normal(rng, {s.samples, s.targets}, s.noise);
      break;
    }
    case config::SyntheticTask::Sequence: {
      auto t = torch::arange(s.seq_len, torch::kFloat32).view({1, s.seq_len, 1});
      auto freq = normal(rng, {s.samples, 1, s.features}, 0.1).abs() + 0.05;
      auto phase = normal(rng, {s.samples, 1, s.features}, 3.0);
      out.x =
          torch::sin(t * freq + phase) + normal(rng, {s.samples, s.seq_len, s.features}, s.noise);
      int64_t tail = std::min<int64_t>(5, s.seq_len);
      auto last = out.x.slice(1, s.seq_len - tail).mean(1);  // [N, F]
      std::vector<torch::Tensor> cols;
      for (int64_t k = 0; k < s.targets; ++k) cols.push_back(last.select(1, k % s.features));
      out.y = torch::stack(cols, 1);
      break;
    }
  }
  return out;
}

}  // namespace itwin::data
