// TPE against Optuna 3.1: the Parzen estimators' components and densities
// match numbers computed with optuna.samplers._tpe.parzen_estimator (same
// observations, consider_prior, prior_weight 1, magic clip, no endpoints),
// with one fix: Optuna 3.1's truncnorm.logpdf leaves out the density's
// 1/sigma (optuna#5109, fixed in Optuna 3.5 by #5110); the expected values
// of continuous parameters were computed with that fix applied. The sampler
// concentrates where the good trials are.
#include "itwin/hpo/tpe.hpp"

#include <algorithm>
#include <cmath>

#include "hpo_fixture.hpp"

using namespace itwin;
using namespace itwin::hpo;
using itwin::test::spec_of;

namespace {
config::HpoParam param(const std::string& body) {
  return spec_of("  space:\n    vars.hidden: " + body + "\n").space.at(0);
}
std::vector<double> internal(const config::HpoParam& p, std::vector<double> xs) {
  for (double& x : xs) x = is_log(p) ? std::log(x) : x;
  return xs;
}
void check_all(const std::vector<double>& got, const std::vector<double>& want) {
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < got.size(); ++i) CHECK(got[i] == Approx(want[i]).epsilon(1e-12));
}
}  // namespace

TEST_CASE("tpe: gamma and weights are Optuna's defaults", "[hpo][tpe]") {
  std::vector<int64_t> g;
  for (int64_t n : {1, 9, 10, 11, 100, 250, 251, 1000}) g.push_back(tpe_gamma(n));
  CHECK(g == std::vector<int64_t>{1, 1, 1, 2, 10, 25, 25, 25});
  CHECK(tpe_weights(24) == std::vector<double>(24, 1.0));
  auto w = tpe_weights(30);  // linspace(1/30, 1, 5) then 25 ones
  check_all(std::vector<double>(w.begin(), w.begin() + 5),
            {1.0 / 30, 0.275, 0.5166666666666667, 0.7583333333333333, 1.0});
  CHECK(w.size() == 30);
}

TEST_CASE("tpe: a uniform parameter's estimator matches Optuna", "[hpo][tpe]") {
  auto p = param("{type: uniform, low: 0, high: 10}");
  ParzenEstimator pe(p, {1.0, 2.0, 7.5, 3.0}, 1.0);
  check_all(pe.mus(), {1, 2, 7.5, 3, 5});
  check_all(pe.sigmas(), {1.6666666666666667, 1.6666666666666667, 2.5, 2, 10});
  check_all(pe.weights(), {0.2, 0.2, 0.2, 0.2, 0.2});
  check_all({pe.log_pdf(0.5), pe.log_pdf(2.5), pe.log_pdf(9.0)},
            {-1.9782944663229047, -1.8170961989959098, -2.967064411313395});
}

TEST_CASE("tpe: log, stepped and log-int parameters match Optuna", "[hpo][tpe]") {
  auto lf = param("{type: loguniform, low: 1e-4, high: 1}");
  ParzenEstimator a(lf, internal(lf, {1e-3, 1e-2, 5e-2}), 1.0);
  check_all(a.mus(),
            {-6.907755278982137, -4.605170185988091, -2.995732273553991, -4.605170185988091});
  check_all(a.sigmas(),
            {2.302585092994046, 2.302585092994046, 1.8420680743952365, 9.210340371976182});
  check_all({a.log_pdf(std::log(1e-3)), a.log_pdf(std::log(0.3))},
            {-2.184897740050241, -2.530054256671747});

  auto q = param("{type: qint, low: 0, high: 10, step: 2}");
  ParzenEstimator b(q, {2, 4, 4}, 1.0);
  check_all(b.mus(), {2, 4, 4, 5});
  check_all(b.sigmas(), {2.4, 2.4, 2.4, 12});
  CHECK(b.low() == -1);
  CHECK(b.high() == 11);
  check_all({b.log_pdf(0), b.log_pdf(4), b.log_pdf(10)},
            {-1.901984818250141, -1.297574504943523, -3.019452241289468});

  auto li = param("{type: logint, low: 2, high: 64}");
  ParzenEstimator c(li, internal(li, {3, 40, 7}), 1.0);
  check_all(c.sigmas(),
            {0.8472978603872037, 1.4028142881589907, 0.8472978603872037, 3.761200115693562});
  check_all({c.log_pdf(std::log(2)), c.log_pdf(std::log(8)), c.log_pdf(std::log(64))},
            {-1.3928571386608384, -1.1237010939079168, -1.753237522774913});

  ParzenEstimator none(param("{type: uniform, low: 0, high: 1}"), {}, 1.0);  // the prior alone
  check_all(none.sigmas(), {1.0});
  CHECK(none.log_pdf(0.5) == Approx(0.04097780049094957).epsilon(1e-12));
}

TEST_CASE("tpe: a choice parameter's estimator matches Optuna", "[hpo][tpe]") {
  ParzenEstimator pe(param("{type: choice, values: [a, b, c]}"), {0, 2, 2}, 1.0);
  check_all({pe.log_pdf(0), pe.log_pdf(1), pe.log_pdf(2)},
            {-1.0986122886681096, -1.6582280766035324, -0.7419373447293772});
}

TEST_CASE("tpe: samples stay in the domain, stable in the far tails", "[hpo][tpe]") {
  auto p = param("{type: uniform, low: 0, high: 1}");
  std::vector<double> obs(60, 0.999);  // narrow components at an edge
  ParzenEstimator pe(p, obs, 1.0);
  Rng rng(3);
  for (double x : pe.sample(rng, 500)) {
    CHECK(x >= 0);
    CHECK(x <= 1);
  }
  CHECK(std::isfinite(pe.log_pdf(0.0)));
  CHECK(std::isfinite(log_gauss_mass(-60, -50)));
  CHECK(log_gauss_mass(-1e3, 1e3) == Approx(0.0).margin(1e-12));
}

TEST_CASE("tpe: random for the startup trials, then near the good region", "[hpo][tpe]") {
  auto spec = spec_of(
      "  sampler: {name: tpe, n_startup_trials: 10}\n"
      "  space:\n"
      "    pipelines.training.steps.train.optimizer.lr: {type: uniform, low: -10, high: 10}\n"
      "    vars.hidden: {type: choice, values: [[8], [16], [32]]}\n");
  auto loss = [](const Assignment& a) {
    return std::pow(a[0].number - 3.0, 2) + (a[1].index == 2 ? 0 : 5);
  };
  auto run = [&] {
    auto s = make_sampler(spec);
    std::vector<Observation> h;
    std::vector<Assignment> out;
    for (int i = 0; i < 60; ++i) {
      Assignment a = s->sample(i, h);
      out.push_back(a);
      h.push_back({a, loss(a), 9, true});
    }
    return out;
  };
  auto a = run();
  CHECK(a == run());  // seeded: the same study twice
  auto random = make_sampler(spec_of(
      "  space:\n"
      "    pipelines.training.steps.train.optimizer.lr: {type: uniform, low: -10, high: 10}\n"
      "    vars.hidden: {type: choice, values: [[8], [16], [32]]}\n"));
  for (int i = 0; i < 10; ++i)
    CHECK(a[static_cast<size_t>(i)] ==
          random->sample(i, {}));  // startup = the random sampler's draws
  int near = 0, right_choice = 0;
  for (size_t i = 30; i < 60; ++i) {
    near += std::fabs(a[i][0].number - 3.0) < 2.0;
    right_choice += a[i][1].index == 2;
  }
  CHECK(near >= 15);          // uniform would give ~6 of 30
  CHECK(right_choice >= 20);  // uniform would give ~10 of 30
}
