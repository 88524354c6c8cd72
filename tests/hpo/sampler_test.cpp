// Random and grid samplers: seeded, reproducible, grids exhaustive.
#include "itwin/hpo/sampler.hpp"

#include <set>

#include "hpo_fixture.hpp"

using namespace itwin;
using namespace itwin::hpo;
using itwin::test::spec_of;

namespace {
const char* kSpace =
    "  space:\n"
    "    pipelines.training.steps.train.optimizer.lr: {type: loguniform, low: 1e-4, high: 1}\n"
    "    vars.hidden: {type: choice, values: [[8], [16], [32]]}\n";

std::vector<std::vector<std::string>> run(const config::HpoSpec& spec, int n) {
  auto s = make_sampler(spec);
  std::vector<std::vector<std::string>> out;
  for (int i = 0; i < n; ++i) out.push_back(overrides(spec.space, s->sample(i, {})));
  return out;
}
}  // namespace

TEST_CASE("sampler: random is reproducible from its seed", "[hpo]") {
  auto a = spec_of(std::string("  seed: 5\n") + kSpace);
  auto b = spec_of(std::string("  seed: 6\n") + kSpace);
  CHECK(run(a, 20) == run(a, 20));
  CHECK(run(a, 20) != run(b, 20));
  // A trial's draw does not depend on the trials before it (a resumed study proposes the same).
  auto s = make_sampler(a);
  CHECK(overrides(a.space, s->sample(7, {})) == run(a, 8)[7]);
  std::set<std::string> hidden;
  for (const auto& t : run(a, 60)) hidden.insert(t[1]);
  CHECK(hidden.size() == 3);
}

TEST_CASE("sampler: the seed defaults to run.seed", "[hpo]") { CHECK(spec_of(kSpace).seed == 42); }

TEST_CASE("sampler: conditional parameters are drawn only when active", "[hpo]") {
  auto spec = spec_of(
      "  space:\n"
      "    pipelines.training.steps.train.optimizer.name: {type: choice, values: [sgd, adam]}\n"
      "    pipelines.training.steps.train.optimizer.momentum:\n"
      "      {type: uniform, low: 0, high: 0.99, when: "
      "{pipelines.training.steps.train.optimizer.name: [sgd]}}\n");
  int sgd = 0;
  for (const auto& t : run(spec, 50)) {
    bool is_sgd = t[0].find("=sgd") != std::string::npos;
    sgd += is_sgd;
    CHECK(t.size() == (is_sgd ? 2u : 1u));
  }
  CHECK(sgd > 10);
  CHECK(sgd < 40);
}

TEST_CASE("sampler: grid proposes every point once, in order", "[hpo]") {
  auto spec = spec_of(
      "  sampler: grid\n"
      "  space:\n"
      "    pipelines.training.steps.train.optimizer.lr: {type: grid, values: [0.1, 0.01]}\n"
      "    vars.hidden: {type: grid, values: [[8], [16], [32]]}\n");
  CHECK(spec.trials == 0);  // the whole grid
  auto s = make_sampler(spec);
  REQUIRE(s->capacity() == 6);
  std::set<std::vector<std::string>> seen;
  for (int i = 0; i < 6; ++i) CHECK(seen.insert(overrides(spec.space, s->sample(i, {}))).second);
  CHECK(*seen.begin() ==
        std::vector<std::string>{"pipelines.training.steps.train.optimizer.lr=0.01",
                                 "vars.hidden=[16]"});
  CHECK_THROWS(s->sample(6, {}));
}

TEST_CASE("sampler: random walks grid parameters in order, drawing the others", "[hpo]") {
  auto spec = spec_of(
      "  space:\n"
      "    vars.hidden: {type: grid, values: [[8], [16]]}\n"
      "    pipelines.training.steps.train.optimizer.lr: {type: uniform, low: 0.01, high: 0.1}\n");
  auto t = run(spec, 4);
  CHECK(t[0][0] == "vars.hidden=[8]");
  CHECK(t[1][0] == "vars.hidden=[16]");
  CHECK(t[2][0] == "vars.hidden=[8]");
  CHECK(t[0][1] != t[2][1]);
}
