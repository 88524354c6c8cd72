#pragma once
/// TPE (Bergstra et al. 2011), univariate, with the defaults of Optuna 3.1's
/// TPESampler: n_startup_trials 10, n_ei_candidates 24, gamma(n) =
/// min(ceil(0.1 n), 25), weights that ramp down the oldest of more than 25
/// observations, a prior component of weight 1, the "magic clip" of the
/// bandwidths and no endpoints. Each parameter is sampled on its own
/// (independent sampling), from the trials where it was active.

#include <cstdint>
#include <memory>
#include <vector>

#include "itwin/config/hpo_spec.hpp"
#include "itwin/hpo/sampler.hpp"
#include "itwin/hpo/space.hpp"

namespace itwin::hpo {

/// Observations in the "below" (good) group for n of them.
int64_t tpe_gamma(int64_t n);
/// Weights of n observations in trial order (oldest first).
std::vector<double> tpe_weights(int64_t n);

/// A mixture of truncated Gaussians (numeric) or of smoothed one-hot
/// distributions (choice) over one parameter, in its internal form: log(x)
/// for log types, the index for choices.
class ParzenEstimator {
 public:
  ParzenEstimator(const config::HpoParam& p, const std::vector<double>& observations,
                  double prior_weight);

  std::vector<double> sample(Rng& rng, size_t n) const;
  double log_pdf(double x) const;

  const std::vector<double>& weights() const { return weights_; }
  const std::vector<double>& mus() const { return mus_; }
  const std::vector<double>& sigmas() const { return sigmas_; }
  double low() const { return low_; }
  double high() const { return high_; }

 private:
  bool categorical_;
  double low_ = 0, high_ = 0, q_ = 0;  ///< q_ > 0: a stepped (discrete) numeric domain
  std::vector<double> weights_, mus_, sigmas_;
  std::vector<std::vector<double>> cat_;  ///< per component: probabilities of each value
};

/// Internal form of a value of p (log for log types, the index for choices).
double to_internal(const config::HpoParam& p, const Value& v);
Value from_internal(const config::HpoParam& p, double x);

/// Log of the standard normal mass on [a, b] (stable in the tails).
double log_gauss_mass(double a, double b);

std::unique_ptr<Sampler> make_tpe(const config::HpoSpec& spec);

}  // namespace itwin::hpo
