// The TPE sampler: split the observed trials into the best gamma(n) and the
// rest, fit l(x) and g(x) per parameter, draw candidates from l and keep the
// one with the highest l(x)/g(x).
#include "itwin/hpo/tpe.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace itwin::hpo {
namespace {

class TpeSampler : public Sampler {
 public:
  explicit TpeSampler(const config::HpoSpec& s) : space_(s.space), seed_(s.seed), opt_(s.sampler) {}

  Assignment sample(int64_t trial, const std::vector<Observation>& history) override {
    const int64_t n = static_cast<int64_t>(history.size());
    Rng startup = Rng::for_trial(seed_, trial);
    Assignment a(space_.size());
    if (n < opt_.n_startup_trials) {  // random, exactly as the random sampler draws
      for (size_t i = 0; i < space_.size(); ++i) {
        a[i].active = is_active(space_, i, a);
        if (a[i].active) a[i] = draw(space_[i], startup);
      }
      return a;
    }
    auto [below, above] = split(history);
    for (size_t i = 0; i < space_.size(); ++i) {
      a[i].active = is_active(space_, i, a);
      if (!a[i].active) continue;
      Rng rng = Rng::for_trial(seed_, trial, i + 1);
      a[i] = sample_one(space_[i], values_of(history, below, i), values_of(history, above, i), rng);
    }
    return a;
  }

 private:
  // Optuna's ranking: finished trials first by score, then stopped ones by
  // the epochs they reached (more first), then score; the best gamma(n)
  // form "below". Both groups keep trial order (for the weights).
  std::pair<std::vector<size_t>, std::vector<size_t>> split(
      const std::vector<Observation>& h) const {
    std::vector<size_t> idx(h.size());
    std::iota(idx.begin(), idx.end(), 0);
    auto key = [&](size_t i) {
      double step = h[i].complete ? -INFINITY : -static_cast<double>(h[i].epochs);
      double score = std::isnan(h[i].score) ? INFINITY : h[i].score;
      return std::make_pair(step, score);
    };
    std::stable_sort(idx.begin(), idx.end(), [&](size_t x, size_t y) { return key(x) < key(y); });
    const size_t nb = static_cast<size_t>(tpe_gamma(static_cast<int64_t>(h.size())));
    std::vector<size_t> below(idx.begin(), idx.begin() + static_cast<long>(nb));
    std::vector<size_t> above(idx.begin() + static_cast<long>(nb), idx.end());
    std::sort(below.begin(), below.end());
    std::sort(above.begin(), above.end());
    return {below, above};
  }

  std::vector<double> values_of(const std::vector<Observation>& h, const std::vector<size_t>& group,
                                size_t i) const {
    std::vector<double> out;
    for (size_t t : group) {
      if (h[t].params[i].active) out.push_back(to_internal(space_[i], h[t].params[i]));
    }
    return out;
  }

  Value sample_one(const config::HpoParam& p, const std::vector<double>& below,
                   const std::vector<double>& above, Rng& rng) const {
    ParzenEstimator l(p, below, opt_.prior_weight), g(p, above, opt_.prior_weight);
    auto candidates = l.sample(rng, static_cast<size_t>(opt_.n_ei_candidates));
    double best = -INFINITY;
    double pick = candidates.front();
    for (double c : candidates) {
      if (is_numeric(p)) c = to_internal(p, from_internal(p, c));  // scored as it will be used
      double s = l.log_pdf(c) - g.log_pdf(c);
      if (s > best) {
        best = s;
        pick = c;
      }
    }
    return from_internal(p, pick);
  }

  Space space_;
  uint64_t seed_;
  config::HpoSamplerSpec opt_;
};

}  // namespace

std::unique_ptr<Sampler> make_tpe(const config::HpoSpec& spec) {
  return std::make_unique<TpeSampler>(spec);
}

}  // namespace itwin::hpo
