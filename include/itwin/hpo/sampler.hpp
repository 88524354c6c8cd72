#pragma once
/// Samplers propose each new trial's parameters: random, grid, and TPE (the
/// Tree-structured Parzen Estimator, as Optuna's default TPESampler).
/// A sampler is a pure function of (seed, trial number, history): a study
/// rebuilt from its journal proposes what it would have proposed.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "itwin/config/hpo_spec.hpp"
#include "itwin/hpo/space.hpp"

namespace itwin::hpo {

/// What a sampler learns from: a trial that reported its metric.
struct Observation {
  Assignment params;
  double score = 0;       ///< lower is better (a `max` metric is negated); NaN: diverged
  int64_t epochs = 0;     ///< epochs it reached
  bool complete = false;  ///< it finished; else stopped or paused at `epochs`
};

class Sampler {
 public:
  virtual ~Sampler() = default;
  /// The parameters of trial `trial` (0-based). Observations are in trial order.
  virtual Assignment sample(int64_t trial, const std::vector<Observation>& history) = 0;
  /// How many distinct trials it can propose (-1: unlimited).
  virtual int64_t capacity() const { return -1; }
};

/// The sampler `spec.sampler.kind` names (config::hpo_sampler_catalog()),
/// seeded with spec.seed.
std::unique_ptr<Sampler> make_sampler(const config::HpoSpec& spec);

}  // namespace itwin::hpo
