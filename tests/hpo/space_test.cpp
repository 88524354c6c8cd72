// The search space: draws stay in their domain with the right shape, grids
// are exhaustive without repeats, values round-trip through the journal.
#include "itwin/hpo/space.hpp"

#include <algorithm>
#include <cmath>
#include <set>

#include "hpo_fixture.hpp"

using namespace itwin;
using namespace itwin::hpo;
using itwin::test::spec_of;

namespace {

config::HpoParam param(const std::string& body) {
  return spec_of("  space:\n    vars.hidden: " + body + "\n").space.at(0);
}

std::vector<double> draws(const config::HpoParam& p, int n, uint64_t seed = 1) {
  Rng rng(seed);
  std::vector<double> out;
  for (int i = 0; i < n; ++i) out.push_back(draw(p, rng).number);
  return out;
}

}  // namespace

TEST_CASE("space: uniform draws cover [low, high] evenly", "[hpo]") {
  auto v = draws(param("{type: uniform, low: -2, high: 6}"), 4000);
  CHECK(*std::min_element(v.begin(), v.end()) >= -2);
  CHECK(*std::max_element(v.begin(), v.end()) <= 6);
  size_t below = std::count_if(v.begin(), v.end(), [](double x) { return x < 2; });
  CHECK(below > 1800);
  CHECK(below < 2200);
}

TEST_CASE("space: log types are uniform in log space", "[hpo]") {
  auto v = draws(param("{type: loguniform, low: 1e-5, high: 0.1}"), 4000);
  CHECK(*std::min_element(v.begin(), v.end()) >= 1e-5);
  CHECK(*std::max_element(v.begin(), v.end()) <= 0.1);
  // Each decade holds a quarter of the draws (a linear draw would put 90% in the top one).
  size_t low_decade = std::count_if(v.begin(), v.end(), [](double x) { return x < 1e-4; });
  CHECK(low_decade > 850);
  CHECK(low_decade < 1150);
  auto i = draws(param("{type: logint, low: 1, high: 1000}"), 3000);
  for (double x : i) CHECK(x == std::round(x));
  CHECK(*std::min_element(i.begin(), i.end()) == 1);
  size_t small = std::count_if(i.begin(), i.end(), [](double x) { return x <= 31; });
  CHECK(small > 1200);  // half of the log range lies below sqrt(1000)
}

TEST_CASE("space: integer and quantised types hit exactly their points, ends included", "[hpo]") {
  auto i = draws(param("{type: int, low: 3, high: 6}"), 2000);
  CHECK(std::set<double>(i.begin(), i.end()) == std::set<double>{3, 4, 5, 6});
  auto q = draws(param("{type: qint, low: 32, high: 100, step: 32}"), 2000);
  CHECK(std::set<double>(q.begin(), q.end()) == std::set<double>{32, 64, 96});
  auto f = draws(param("{type: quniform, low: 0.1, high: 0.5, step: 0.1}"), 2000);
  CHECK(std::set<double>(f.begin(), f.end()) == std::set<double>{0.1, 0.2, 0.3, 0.4, 0.5});
  for (double x : {0.2, 0.3, 0.4}) CHECK(std::count(f.begin(), f.end(), x) > 300);
}

TEST_CASE("space: snap moves values onto the domain", "[hpo]") {
  auto q = param("{type: quniform, low: 0.1, high: 0.5, step: 0.1}");
  CHECK(snap(q, 0.26) == 0.3);
  CHECK(snap(q, 7.0) == 0.5);
  CHECK(snap(q, -1) == 0.1);
  auto i = param("{type: int, low: 1, high: 8}");
  CHECK(snap(i, 3.4) == 3);
  CHECK(snap(i, 99) == 8);
  CHECK(snap(param("{type: uniform, low: 0, high: 1}"), NAN) == 0);
}

TEST_CASE("space: the same seed draws the same values, another seed others", "[hpo]") {
  auto p = param("{type: loguniform, low: 1e-4, high: 1}");
  CHECK(draws(p, 50, 7) == draws(p, 50, 7));
  CHECK(draws(p, 50, 7) != draws(p, 50, 8));
  Rng a = Rng::for_trial(42, 3), b = Rng::for_trial(42, 3), c = Rng::for_trial(42, 4);
  CHECK(a.next() == b.next());
  CHECK(Rng::for_trial(42, 3).next() != c.next());
}

TEST_CASE("space: values as --set text", "[hpo]") {
  auto spec = spec_of(
      "  space:\n"
      "    pipelines.training.steps.train.optimizer.lr: {type: loguniform, low: 1e-4, high: 1}\n"
      "    pipelines.training.steps.train.batch_size: {type: qint, low: 16, high: 64, step: 16}\n"
      "    vars.hidden: {type: choice, values: [[16], [32, 32], {a: 'x, y'}]}\n");
  Assignment a(3);
  a[0].number = 0.001;
  a[1].number = 48;
  a[2].index = 2;
  CHECK(overrides(spec.space, a) ==
        std::vector<std::string>{"pipelines.training.steps.train.optimizer.lr=0.001",
                                 "pipelines.training.steps.train.batch_size=48",
                                 "vars.hidden={a: 'x, y'}"});
  a[2].index = 1;
  CHECK(value_text(spec.space[2], a[2]) == "[32, 32]");
  CHECK(short_names(spec.space) == std::vector<std::string>{"lr", "batch_size", "hidden"});
}

TEST_CASE("space: grids are exhaustive, in order, without repeats under conditions", "[hpo]") {
  auto spec = spec_of(
      "  sampler: grid\n"
      "  space:\n"
      "    pipelines.training.steps.train.optimizer.name: {type: grid, values: [sgd, adam]}\n"
      "    pipelines.training.steps.train.optimizer.momentum:\n"
      "      {type: grid, values: [0.0, 0.9], when: "
      "{pipelines.training.steps.train.optimizer.name: sgd}}\n"
      "    vars.hidden: {type: grid, values: [[8], [16], [32]]}\n");
  auto pts = grid_points(spec.space);
  // sgd x 2 momenta x 3 + adam x 3 (momentum inactive, not repeated).
  REQUIRE(pts.size() == 9);
  std::set<std::vector<std::string>> seen;
  for (const auto& p : pts) {
    auto o = overrides(spec.space, p);
    CHECK(seen.insert(o).second);
    bool sgd = o[0].find("=sgd") != std::string::npos;
    CHECK(o.size() == (sgd ? 3u : 2u));
  }
  CHECK(overrides(spec.space, pts[0])[2] == "vars.hidden=[8]");
  CHECK(overrides(spec.space, pts[1])[2] ==
        "vars.hidden=[16]");  // the last parameter varies fastest
}

TEST_CASE("space: assignments round-trip through the journal form", "[hpo]") {
  auto spec = spec_of(
      "  space:\n"
      "    pipelines.training.steps.train.optimizer.name: {type: choice, values: [sgd, adam]}\n"
      "    pipelines.training.steps.train.optimizer.momentum:\n"
      "      {type: uniform, low: 0, high: 0.99, when: "
      "{pipelines.training.steps.train.optimizer.name: sgd}}\n");
  Assignment a(2);
  a[0].index = 1;
  a[1].active = false;
  auto j = to_json(spec.space, a);
  CHECK(
      j.dump() ==
      R"({"pipelines.training.steps.train.optimizer.momentum":null,"pipelines.training.steps.train.optimizer.name":1})");
  CHECK(from_json(spec.space, j) == a);
  CHECK_FALSE(is_active(spec.space, 1, a));
  j["pipelines.training.steps.train.optimizer.name"] = 7;
  CHECK_THROWS_WITH(from_json(spec.space, j), Catch::Contains("does not fit parameter"));
}
