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
      if (space_[i].type == config::ParamType::Grid) v.index = g[i].index;
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

}  // namespace

std::unique_ptr<Sampler> make_sampler(const config::HpoSpec& spec) {
  switch (spec.sampler.kind) {
    case config::SamplerKind::Random:
      return std::make_unique<RandomSampler>(spec.space, spec.seed);
    case config::SamplerKind::Grid:
      return std::make_unique<GridSampler>(spec.space);
    case config::SamplerKind::Tpe:
      return make_tpe(spec);
  }
  throw ConfigError(spec.where + ": hpo: no sampler");
}

}  // namespace itwin::hpo
