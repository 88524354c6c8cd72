// Physics distances between generated and real showers, and the 3DGAN networks' shapes.
#include "itwin/train/shower_metrics.hpp"

#include "itwin/models/model.hpp"
#undef CHECK

#include <catch2/catch.hpp>

using namespace itwin;
using Catch::Matchers::Contains;

namespace {

// Showers [n, 4, 4, 6]: 2 % (+10 % per shower) of energy E deposited along one
// column, peaking at layer `peak`; sum / E = 0.020, 0.022, 0.024, ...
torch::Tensor showers(const std::vector<float>& energies, int64_t peak) {
  auto x = torch::zeros({static_cast<int64_t>(energies.size()), 4, 4, 6});
  for (size_t i = 0; i < energies.size(); ++i) {
    for (int64_t z = 0; z < 6; ++z) {
      const float fraction = 0.02f * (1 + 0.1f * static_cast<float>(i));
      x[static_cast<int64_t>(i)][1][2][z] = fraction * energies[i] * (z == peak ? 0.5f : 0.1f);
    }
  }
  return x;
}

config::GanPhysicsSpec physics() {
  config::GanPhysicsSpec p;
  p.bins = 4;
  p.hit_threshold = 1e-3;
  return p;
}

}  // namespace

TEST_CASE("shower metrics: a set is at distance 0 from itself and far from a different one",
          "[train][gan]") {
  auto e = torch::tensor({10.0f, 20.0f, 30.0f, 40.0f});
  auto real = showers({10, 20, 30, 40}, 2);
  train::ShowerComparison cmp(real, e, physics());
  auto same = cmp.distances(cmp.sums(real, e), "val_");
  for (const char* k :
       {"val_esum_dist", "val_hits_dist", "val_long_dist", "val_trans_dist", "val_phys_dist"}) {
    INFO(k);
    CHECK(same.at(k) == Approx(0.0));
  }
  // Empty showers: their energy ratio (0) and hits (0) fall below the real range, all of them.
  auto empty = torch::zeros_like(real);
  auto far = cmp.distances(cmp.sums(empty, e), "val_");
  CHECK(far.at("val_esum_dist") == Approx(1.0));
  CHECK(far.at("val_hits_dist") == Approx(1.0));
  // The same showers, peaking 2 layers deeper: only the longitudinal profile differs.
  // Real profile per layer (0.1, 0.1, 0.5, 0.1, 0.1, 0.1) / 1.0; shifted: 0.5 at layer 4: TV = 0.4.
  auto deep = cmp.distances(cmp.sums(showers({10, 20, 30, 40}, 4), e), "val_");
  CHECK(deep.at("val_long_dist") == Approx(0.4));
  CHECK(deep.at("val_esum_dist") == Approx(0.0));
  CHECK(deep.at("val_trans_dist") == Approx(0.0));
  CHECK(deep.at("val_phys_dist") == Approx(0.1));
}

TEST_CASE("shower metrics: sums add up over batches", "[train][gan]") {
  auto e = torch::tensor({10.0f, 20.0f, 30.0f, 40.0f});
  auto real = showers({10, 20, 30, 40}, 2);
  train::ShowerComparison cmp(real, e, physics());
  auto a = cmp.sums(real.slice(0, 0, 1), e.slice(0, 0, 1)),
       b = cmp.sums(real.slice(0, 1, 4), e.slice(0, 1, 4));
  auto whole = cmp.sums(real, e);
  REQUIRE(a.size() == whole.size());
  for (size_t i = 0; i < a.size(); ++i) CHECK(a[i] + b[i] == Approx(whole[i]));
  // Energies scaled by 2 with the same showers: every ratio halves, below the real range.
  auto half = cmp.distances(cmp.sums(real, e * 2), "");
  CHECK(half.at("esum_dist") == Approx(1.0));
}

TEST_CASE("gan3d: the built-in networks make and score showers of the configured grid",
          "[models][gan]") {
  config::ModelSpec g;
  g.arch = config::Arch::Gan3dGenerator;
  g.latent = 8;
  g.conditions = 1;
  g.shape = {25, 25, 25};
  g.channels = {8, 4, 2};
  auto gen = models::build_model(g, {}, "g");
  auto out = gen->forward(torch::randn({2, 9}));
  CHECK(out.sizes() == std::vector<int64_t>{2, 25, 25, 25});
  CHECK(out.min().item<double>() >= 0);  // energies
  config::ModelSpec d = g;
  d.arch = config::Arch::Gan3dDiscriminator;
  d.channels = {2, 4, 8};
  auto disc = models::build_model(d, {}, "d");
  CHECK(disc->forward(out).sizes() == std::vector<int64_t>{2, 2});
  // Checked against a data set before it, and against its own grid.
  CHECK_THAT(models::input_problem(g, {{20, 20, 20}, 1}),
             Contains("is configured for samples [25, 25, 25] with 1 condition(s) (keys shape, "
                      "conditions), but the data "
                      "gives samples [20, 20, 20] with 1"));
  CHECK(models::input_problem(g, {{25, 25, 25}, 1}).empty());
  d.shape = {4, 4, 4};
  CHECK_THAT(models::input_problem(d, {}),
             Contains("halves the grid once per entry of channels (3), too often"));
}
