// Random and grid samplers, and the sampler registry.
#include "itwin/hpo/sampler.hpp"

#include <functional>

#include "itwin/hpo/tpe.hpp"
#include "itwin/util/error.hpp"

namespace itwin::hpo {
namespace {

// Independent draws; grid parameters (if any) walk their grid in order, one
// point per trial, wrapping around (Ray Tune's grid_search with random).
class RandomSampler : public Sampler {
 public:
  RandomSampler(Space space, uint64_t seed)
      : space_(std::move(space)), seed_(seed), grid_(grid_points(space_)) {}
  Assignment sample(int64_t trial, const std::vector<Observation>&) override {
    Rng rng = Rng::for_trial(seed_, trial);
    const Assignment& g = grid_[static_cast<size_t>(trial) % grid_.size()];
    Assignment a(space_.size());
    for (size_t i = 0; i < space_.size(); ++i) {
      a[i].active = is_active(space_, i, a);
      if (!a[i].active) continue;
      Value v = draw(space_[i], rng);  // drawn even for grid parameters: draws stay aligned
      if (space_[i].type == "grid") v.index = g[i].index;
      a[i] = v;
    }
    return a;
  }

 private:
  Space space_;
  uint64_t seed_;
  std::vector<Assignment> grid_;
};

class GridSampler : public Sampler {
 public:
  explicit GridSampler(const Space& space) : points_(grid_points(space)) {}
  Assignment sample(int64_t trial, const std::vector<Observation>&) override {
    if (trial < 0 || trial >= capacity())
      throw RuntimeError("the grid has no point " + std::to_string(trial));
    return points_[static_cast<size_t>(trial)];
  }
  int64_t capacity() const override { return static_cast<int64_t>(points_.size()); }

 private:
  std::vector<Assignment> points_;
};

struct Entry {
  SamplerType info;
  std::function<std::unique_ptr<Sampler>(const config::HpoSpec&)> make;
};

const std::vector<Entry>& registry() {
  static const std::vector<Entry> table = {
      {{"random", "independent uniform draws (log-uniform for log types); grid parameters cycle"},
       [](const config::HpoSpec& s) { return std::make_unique<RandomSampler>(s.space, s.seed); }},
      {{"grid", "every point of the grid parameters' product, in order, once"},
       [](const config::HpoSpec& s) { return std::make_unique<GridSampler>(s.space); }},
      {{"tpe",
        "Tree-structured Parzen Estimator (Optuna's default sampler): random first, then "
        "l(x)/g(x)"},
       [](const config::HpoSpec& s) { return make_tpe(s); }},
  };
  return table;
}

}  // namespace

const std::vector<SamplerType>& sampler_types() {
  static const std::vector<SamplerType> types = [] {
    std::vector<SamplerType> v;
    for (const auto& e : registry()) v.push_back(e.info);
    return v;
  }();
  return types;
}

std::unique_ptr<Sampler> make_sampler(const config::HpoSpec& spec) {
  for (const auto& e : registry()) {
    if (spec.sampler.name == e.info.name) return e.make(spec);
  }
  throw ConfigError(spec.where + ": hpo: unknown sampler '" + spec.sampler.name + "'");
}

}  // namespace itwin::hpo
