// Physics distances between generated and real showers (see shower_metrics.hpp).
#include "itwin/train/shower_metrics.hpp"

#include <algorithm>
#include <cmath>

namespace itwin::train {
namespace {

// Per-sample values as doubles on the CPU.
std::vector<double> values(const torch::Tensor& t) {
  auto c = t.to(torch::kFloat64).contiguous();
  return std::vector<double>(c.data_ptr<double>(), c.data_ptr<double>() + c.numel());
}

// Per-sample totals, divided by the primary energy when there is one.
torch::Tensor esum_of(const torch::Tensor& x, const torch::Tensor& energy) {
  auto total = x.to(torch::kFloat64).flatten(1).sum(1);
  return energy.defined() ? total / energy.to(torch::kFloat64) : total;
}

// Each sample's profile along `keep` (1: x, 2: y, 3: depth), normalised to
// sum 1 (uniform for an empty shower), summed over samples.
std::vector<double> profile_sum(const torch::Tensor& x, int64_t keep) {
  std::vector<int64_t> dims;
  for (int64_t d = 1; d <= 3; ++d)
    if (d != keep) dims.push_back(d);
  auto p = x.to(torch::kFloat64).sum(dims);  // [N, size along keep]
  auto total = p.sum(1, true);
  auto uniform = torch::full_like(p, 1.0 / static_cast<double>(p.size(1)));
  p = torch::where(total > 0, p / total.clamp_min(1e-300), uniform);
  return values(p.sum(0));
}

double tv(const double* p, const double* q, size_t n, double np, double nq) {
  if (np <= 0 || nq <= 0) return std::nan("");
  double d = 0;
  for (size_t i = 0; i < n; ++i) d += std::abs(p[i] / np - q[i] / nq);
  return 0.5 * d;
}

}  // namespace

size_t ShowerComparison::Histogram::at(double v) const {
  if (!(v >= lo)) return v < lo ? 0 : static_cast<size_t>(bins) + 1;  // NaN: overflow
  if (v > hi) return static_cast<size_t>(bins) + 1;
  auto b = static_cast<int64_t>((v - lo) / (hi - lo) * static_cast<double>(bins));
  return static_cast<size_t>(std::min(b, bins - 1)) + 1;
}

ShowerComparison::ShowerComparison(const torch::Tensor& real, const torch::Tensor& energy,
                                   const config::GanPhysicsSpec& spec)
    : threshold_(spec.hit_threshold) {
  shape_ = real.sizes().slice(1).vec();
  showers_ = shape_.size() == 3;
  auto range = [&](const std::vector<double>& v) {
    Histogram h;
    h.bins = spec.bins;
    if (!v.empty()) {
      auto [lo, hi] = std::minmax_element(v.begin(), v.end());
      h.lo = *lo;
      h.hi = *hi;
    }
    if (!(h.hi > h.lo)) {  // one value: a unit-wide range around it
      h.lo -= 0.5;
      h.hi += 0.5;
    }
    return h;
  };
  esum_ = range(values(esum_of(real, energy)));
  if (showers_) hits_ = range(values((real > threshold_).flatten(1).sum(1)));
  real_ = sums(real, energy);
}

// Layout: esum histogram (bins + 2), then for showers the hits histogram
// (bins + 2) and the profiles along depth, x and y; last the sample count.
std::vector<double> ShowerComparison::sums(const torch::Tensor& x,
                                           const torch::Tensor& energy) const {
  torch::NoGradGuard ng;
  std::vector<double> out(static_cast<size_t>(esum_.bins) + 2, 0.0);
  for (double v : values(esum_of(x, energy))) out[esum_.at(v)] += 1;
  if (showers_) {
    std::vector<double> hits(static_cast<size_t>(hits_.bins) + 2, 0.0);
    for (double v : values((x > threshold_).flatten(1).sum(1))) hits[hits_.at(v)] += 1;
    out.insert(out.end(), hits.begin(), hits.end());
    for (int64_t axis : {3, 1, 2}) {
      auto p = profile_sum(x, axis);
      out.insert(out.end(), p.begin(), p.end());
    }
  }
  out.push_back(static_cast<double>(x.size(0)));
  return out;
}

std::map<std::string, double> ShowerComparison::distances(const std::vector<double>& g,
                                                          const std::string& prefix) const {
  const double nr = real_.back(), ng = g.back();
  std::map<std::string, double> m;
  size_t at = 0;
  const size_t hb = static_cast<size_t>(esum_.bins) + 2;
  m[prefix + "esum_dist"] = tv(&real_[at], &g[at], hb, nr, ng);
  at += hb;
  if (showers_) {
    m[prefix + "hits_dist"] = tv(&real_[at], &g[at], static_cast<size_t>(hits_.bins) + 2, nr, ng);
    at += static_cast<size_t>(hits_.bins) + 2;
    const size_t z = static_cast<size_t>(shape_[2]), x = static_cast<size_t>(shape_[0]),
                 y = static_cast<size_t>(shape_[1]);
    m[prefix + "long_dist"] = tv(&real_[at], &g[at], z, nr, ng);
    at += z;
    const double tx = tv(&real_[at], &g[at], x, nr, ng);
    at += x;
    const double ty = tv(&real_[at], &g[at], y, nr, ng);
    m[prefix + "trans_dist"] = 0.5 * (tx + ty);
  }
  double sum = 0;
  for (const auto& [k, v] : m) sum += v;
  m[prefix + "phys_dist"] = sum / static_cast<double>(m.size());
  return m;
}

}  // namespace itwin::train
