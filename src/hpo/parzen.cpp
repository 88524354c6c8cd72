// TPE's Parzen estimator over one parameter, and the truncated normal it
// needs (mass, inverse CDF) in log space so that far tails do not underflow.
#include <algorithm>
#include <cmath>
#include <numeric>

#include "itwin/hpo/tpe.hpp"

namespace itwin::hpo {
namespace {

constexpr double kLogSqrt2Pi = 0.91893853320467274178;  // log(sqrt(2 pi))

double ndtr(double a) {
  double x = a / std::sqrt(2.0);
  if (x < -1 / std::sqrt(2.0)) return 0.5 * std::erfc(-x);
  if (x < 1 / std::sqrt(2.0)) return 0.5 + 0.5 * std::erf(x);
  return 1.0 - 0.5 * std::erfc(x);
}

// log Phi(a); below -20 the asymptotic series (Phi underflows there).
double log_ndtr(double a) {
  if (a > 6) return -ndtr(-a);
  if (a > -20) return std::log(ndtr(a));
  double log_lhs = -0.5 * a * a - std::log(-a) - kLogSqrt2Pi;
  double last = 0, rhs = 1, numerator = 1, denom = 1, sign = 1;
  for (int i = 1; std::fabs(last - rhs) > 1e-16 && i < 100; ++i) {
    last = rhs;
    sign = -sign;
    denom *= 1 / (a * a);
    numerator *= 2 * i - 1;
    rhs += sign * numerator * denom;
  }
  return log_lhs + std::log(rhs);
}

double log_diff(double lp, double lq) { return lp + std::log1p(-std::exp(lq - lp)); }
double log_sum(double lp, double lq) {
  double m = std::max(lp, lq);
  if (m == -INFINITY) return m;
  return m + std::log(std::exp(lp - m) + std::exp(lq - m));
}

// x with log Phi(x) = y, by bisection on [-100, 100].
double ndtri_exp(double y) {
  double lo = -100, hi = 100, m = 0;
  for (int i = 0; i < 100; ++i) {
    m = (lo + hi) / 2;
    if (log_ndtr(m) < y)
      lo = m;
    else
      hi = m;
  }
  return m;
}

// Inverse CDF of the standard normal truncated to [a, b], at quantile q.
double truncnorm_ppf(double q, double a, double b) {
  if (q <= 0) return a;
  if (q >= 1) return b;
  if (a < 0) return ndtri_exp(log_sum(log_ndtr(a), std::log(q) + log_gauss_mass(a, b)));
  return -ndtri_exp(log_sum(log_ndtr(-b), std::log1p(-q) + log_gauss_mass(a, b)));
}

size_t pick(Rng& rng, const std::vector<double>& p) {
  double u = rng.uniform(), cum = 0;
  for (size_t i = 0; i < p.size(); ++i) {
    cum += p[i];
    if (u < cum) return i;
  }
  return p.size() - 1;
}

}  // namespace

double log_gauss_mass(double a, double b) {
  if (b <= 0) return log_diff(log_ndtr(b), log_ndtr(a));
  if (a > 0) return log_diff(log_ndtr(-a), log_ndtr(-b));
  return std::log1p(-ndtr(a) - ndtr(-b));
}

int64_t tpe_gamma(int64_t n) {
  return std::min<int64_t>(static_cast<int64_t>(std::ceil(0.1 * static_cast<double>(n))), 25);
}

std::vector<double> tpe_weights(int64_t n) {
  if (n < 25) return std::vector<double>(static_cast<size_t>(std::max<int64_t>(n, 0)), 1.0);
  std::vector<double> w;
  const int64_t ramp = n - 25;  // linspace(1/n, 1, n - 25), then 25 ones
  for (int64_t i = 0; i < ramp; ++i) {
    w.push_back(ramp == 1 ? 1.0 / static_cast<double>(n)
                          : 1.0 / static_cast<double>(n) + (1.0 - 1.0 / static_cast<double>(n)) *
                                                               static_cast<double>(i) /
                                                               static_cast<double>(ramp - 1));
  }
  w.insert(w.end(), 25, 1.0);
  return w;
}

double to_internal(const config::HpoParam& p, const Value& v) {
  if (!is_numeric(p)) return static_cast<double>(v.index);
  return is_log(p) ? std::log(v.number) : v.number;
}

Value from_internal(const config::HpoParam& p, double x) {
  Value v;
  if (!is_numeric(p)) {
    v.index = static_cast<size_t>(std::max(0.0, x));
  } else {
    v.number = snap(p, is_log(p) ? std::exp(x) : x);
  }
  return v;
}

ParzenEstimator::ParzenEstimator(const config::HpoParam& p, const std::vector<double>& obs,
                                 double prior_weight)
    : categorical_(!is_numeric(p)) {
  // Weights: the observations' (ramped when many), then the prior's; normalised.
  weights_ = tpe_weights(static_cast<int64_t>(obs.size()));
  weights_.push_back(prior_weight);
  double total = std::accumulate(weights_.begin(), weights_.end(), 0.0);
  for (double& w : weights_) w /= total;

  if (categorical_) {
    const size_t k = p.values.size();
    const double base = prior_weight / static_cast<double>(obs.size() + 1);
    for (size_t i = 0; i <= obs.size(); ++i) {
      std::vector<double> row(k, base);
      if (i < obs.size()) row[static_cast<size_t>(obs[i])] += 1;
      double s = std::accumulate(row.begin(), row.end(), 0.0);
      for (double& r : row) r /= s;
      cat_.push_back(row);
    }
    return;
  }
  // Bounds in the internal space; stepped domains widen by half a step.
  switch (p.type) {
    case config::ParamType::LogUniform:
      low_ = std::log(p.low);
      high_ = std::log(p.high);
      break;
    case config::ParamType::LogInt:
      low_ = std::log(p.low - 0.5);
      high_ = std::log(p.high + 0.5);
      break;
    case config::ParamType::Uniform:
    case config::ParamType::Int:
    case config::ParamType::QUniform:
    case config::ParamType::QInt:
    case config::ParamType::Choice:
    case config::ParamType::Grid: {
      q_ = p.type == config::ParamType::Int ? 1.0 : p.step;
      double top = p.high;
      if (q_ > 0) top = p.low + std::floor((p.high - p.low) / q_ + 1e-9) * q_;
      low_ = p.low - 0.5 * q_;
      high_ = top + 0.5 * q_;
      break;
    }
  }
  mus_ = obs;
  mus_.push_back(0.5 * (low_ + high_));  // the prior
  // Bandwidth: the larger gap to a neighbour, the domain ends counting as
  // neighbours; the outermost use their inner gap only (no endpoints).
  std::vector<size_t> order(mus_.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return mus_[a] < mus_[b]; });
  std::vector<double> s = {low_};
  for (size_t i : order) s.push_back(mus_[i]);
  s.push_back(high_);
  std::vector<double> sorted_sigma(mus_.size());
  for (size_t i = 0; i < mus_.size(); ++i)
    sorted_sigma[i] = std::max(s[i + 1] - s[i], s[i + 2] - s[i + 1]);
  if (s.size() >= 4) {
    sorted_sigma.front() = s[2] - s[1];
    sorted_sigma.back() = s[s.size() - 2] - s[s.size() - 3];
  }
  sigmas_.assign(mus_.size(), 0);
  for (size_t i = 0; i < order.size(); ++i) sigmas_[order[i]] = sorted_sigma[i];
  // The magic clip: no component narrower than range / min(100, 1 + components).
  const double range = high_ - low_;
  const double min_sigma = range / std::min(100.0, 1.0 + static_cast<double>(mus_.size()));
  for (double& sg : sigmas_) sg = std::clamp(sg, min_sigma, range);
  sigmas_.back() = range;
}

std::vector<double> ParzenEstimator::sample(Rng& rng, size_t n) const {
  std::vector<double> out;
  for (size_t i = 0; i < n; ++i) {
    size_t c = pick(rng, weights_);
    if (categorical_) {
      out.push_back(static_cast<double>(pick(rng, cat_[c])));
      continue;
    }
    double a = (low_ - mus_[c]) / sigmas_[c], b = (high_ - mus_[c]) / sigmas_[c];
    double x = truncnorm_ppf(rng.uniform(), a, b) * sigmas_[c] + mus_[c];
    out.push_back(std::clamp(x, low_, high_));
  }
  return out;
}

double ParzenEstimator::log_pdf(double x) const {
  double acc = -INFINITY;
  for (size_t c = 0; c < weights_.size(); ++c) {
    double lp;
    if (categorical_) {
      lp = std::log(cat_[c][static_cast<size_t>(x)]);
    } else {
      const double mu = mus_[c], sg = sigmas_[c];
      const double mass = log_gauss_mass((low_ - mu) / sg, (high_ - mu) / sg);
      if (q_ > 0) {  // the mass of x's step, as a probability
        double lo = std::max(x - q_ / 2, low_), hi = std::min(x + q_ / 2, high_);
        lp = log_gauss_mass((lo - mu) / sg, (hi - mu) / sg) - mass;
      } else {
        double z = (x - mu) / sg;
        lp = -0.5 * z * z - kLogSqrt2Pi - std::log(sg) - mass;
      }
    }
    acc = log_sum(acc, std::log(weights_[c]) + lp);
  }
  return acc;
}

}  // namespace itwin::hpo
