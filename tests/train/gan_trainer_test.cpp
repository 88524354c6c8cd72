// The adversarial trainer in-process: a tiny GAN on a 1-D Gaussian mixture
// learns it, steps alternate as configured, a resume continues exactly, the
// losses and the gradient penalty equal their formulas, bad inputs are named.
#include "itwin/train/gan_trainer.hpp"

#include "itwin/data/dataset.hpp"
#include "itwin/models/model.hpp"
#include "itwin/train/gan_loss.hpp"
#include "itwin/util/error.hpp"
#undef CHECK

#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>

#include "../helpers.hpp"
#include "fixtures.hpp"

using namespace itwin;
using Catch::Matchers::Contains;

namespace {

// x ~ 0.5 N(-2, 0.5^2) + 0.5 N(2, 0.5^2), one value per sample, no conditions.
data::DataSplits mixture(int64_t n = 1024, int64_t val = 512) {
  torch::manual_seed(17);
  auto make = [](int64_t k) {
    auto side = torch::randint(0, 2, {k, 1}).to(torch::kFloat32) * 4 - 2;
    return data::TensorData{side + 0.5 * torch::randn({k, 1}), torch::zeros({k, 0})};
  };
  data::DataSplits s;
  s.train = make(n);
  s.val = make(val);
  s.classification = false;
  s.num_targets = 0;
  s.sample_shape = {1};
  return s;
}

std::shared_ptr<models::Model> net(const data::DataSplits& d, config::GanRole role,
                                   uint64_t seed = 3) {
  config::ModelSpec m;
  m.arch = config::Arch::Mlp;
  m.role = role;
  m.latent = 4;
  m.hidden = {32, 32};
  m.dropout = 0;
  torch::manual_seed(seed);
  return models::build_model(m, {d.sample_shape, d.num_targets}, "net");
}

struct Pair {
  std::shared_ptr<models::Model> g, d;
  train::GanNets nets() { return {*g, *d, 4}; }
};

Pair pair(const data::DataSplits& d, uint64_t seed = 3) {
  return {net(d, config::GanRole::Generator, seed),
          net(d, config::GanRole::Discriminator, seed + 1)};
}

config::GanTrainerSpec spec(int64_t epochs) {
  config::GanTrainerSpec t;
  t.epochs = epochs;
  t.batch_size = 64;
  t.loss = config::GanLoss::Wasserstein;
  t.gradient_penalty = 1;
  t.critic_steps = 2;
  for (auto* n : {&t.generator, &t.discriminator}) {
    n->optimizer.name = config::OptimizerKind::Adam;
    n->optimizer.lr = 3e-3;
    n->optimizer.betas = {0.5, 0.9};
  }
  t.physics.bins = 20;
  t.physics.samples = 0;
  t.checkpoint.every = 1;
  t.checkpoint.best_metric = "val_phys_dist";  // what parse_gan defaults to
  return t;
}

train::GanResult fit(const config::GanTrainerSpec& s, Pair& p, const data::DataSplits& d,
                     const std::string& dir, bool resume = false, int64_t until = 0) {
  test::TrainCall call(dir, resume, until);
  return train::train_gan(s, p.nets(), d, call.env);
}

using test::same_weights;

// A discriminator computing a fixed function of its input, for hand-computed penalties.
struct FnModel : models::Model {
  std::function<torch::Tensor(const torch::Tensor&)> f;
  std::vector<torch::Tensor> params;
  torch::Tensor forward(const torch::Tensor& x) override { return f(x); }
  std::vector<torch::Tensor> parameters() override { return params; }
  std::vector<std::pair<std::string, torch::Tensor>> state() override { return {}; }
  void set_training(bool) override {}
  void to(const torch::Device&) override {}
  std::string describe() const override { return "fn"; }
};

}  // namespace

TEST_CASE("gan: a tiny GAN learns a 1-D Gaussian mixture", "[train][gan]") {
  torch::set_num_threads(1);
  auto d = mixture();
  auto p = pair(d);
  auto s = spec(25);
  auto before = train::evaluate_generator(s, p.nets(), *d.val.tensors(), "val_", 42);
  test::TempDir t;
  auto r = fit(s, p, d, t.path());
  const double after = r.final_metrics.at("val_esum_dist");
  INFO("histogram distance before " << before.at("val_esum_dist") << ", after " << after);
  CHECK(before.at("val_esum_dist") > 0.6);  // an untrained generator puts its mass near 0
  // A generator collapsed onto one of the two modes scores about 0.5 (total variation).
  CHECK(after < 0.45);
  CHECK(after < 0.5 * before.at("val_esum_dist"));
  CHECK(r.final_metrics.at("val_phys_dist") == after);  // a 1-D sample has no profiles or hits
  CHECK(r.final_metrics.count("train_gp"));
  CHECK(std::filesystem::exists(t.path() + "/checkpoints/best/optimizer-discriminator.pt"));
}

TEST_CASE("gan: critic_steps discriminator steps per generator step, counted", "[train][gan]") {
  auto d = mixture(640, 64);  // 10 batches of 64 per epoch
  auto s = spec(3);
  s.critic_steps = 3;
  auto p = pair(d);
  test::TempDir t;
  auto r = fit(s, p, d, t.path());
  CHECK(r.discriminator_steps == 30);
  CHECK(r.generator_steps ==
        10);  // after discriminator steps 3, 6, ..., 30: the count carries across epochs
  CHECK(r.final_metrics.count("train_g_loss"));

  // Fewer batches than critic_steps: the generator is never updated, the discriminator is.
  auto few = mixture(128, 64);
  auto q = pair(few), fresh = pair(few);
  s.epochs = 1;
  test::TempDir t2;
  auto r2 = fit(s, q, few, t2.path());
  CHECK(r2.generator_steps == 0);
  CHECK(same_weights(*q.g, *fresh.g));
  CHECK_FALSE(same_weights(*q.d, *fresh.d));
  CHECK_FALSE(r2.final_metrics.count("train_g_loss"));
}

TEST_CASE("gan: a resumed run ends with the weights of an uninterrupted one", "[train][gan]") {
  torch::set_num_threads(1);
  auto d = mixture(512, 128);
  auto s = spec(4);
  s.critic_steps = 3;  // 8 batches per epoch: the alternation phase crosses epochs
  test::TempDir whole, split;
  auto a = pair(d);
  fit(s, a, d, whole.path());
  auto b = pair(d);
  auto paused = fit(s, b, d, split.path(), false, 2);
  CHECK(paused.paused);
  auto c = pair(d, 99);  // a new process would start from other weights
  auto r = fit(s, c, d, split.path(), true);
  CHECK(r.resumed);
  CHECK(r.epochs_done == 4);
  CHECK(r.generator_steps == 10);  // 32 discriminator steps, one generator step per 3
  CHECK(same_weights(*a.g, *c.g));
  CHECK(same_weights(*a.d, *c.d));
}

TEST_CASE("gan: adversarial losses and the energy term match their formulas", "[train][gan]") {
  auto real = torch::tensor({1.0f, -2.0f}), fake = torch::tensor({0.5f, 3.0f});
  auto sp = [](double v) { return std::log1p(std::exp(v)); };
  using config::GanLoss;
  CHECK(train::discriminator_loss(GanLoss::NonSaturating, real, fake).item<double>() ==
        Approx((sp(-1) + sp(2)) / 2 + (sp(0.5) + sp(3)) / 2));
  CHECK(train::generator_loss(GanLoss::NonSaturating, fake).item<double>() ==
        Approx((sp(-0.5) + sp(-3)) / 2));
  CHECK(train::discriminator_loss(GanLoss::Wasserstein, real, fake).item<double>() ==
        Approx(1.75 - (-0.5)));
  CHECK(train::generator_loss(GanLoss::Wasserstein, fake).item<double>() == Approx(-1.75));
  // Totals 2 and 6 for energies 100 and 200 at ratio 0.02: |2/2 - 1| and |6/4 - 1|.
  auto x = torch::tensor({{1.0f, 1.0f}, {3.0f, 3.0f}});
  CHECK(train::energy_consistency(x, torch::tensor({100.0f, 200.0f}), 0.02).item<double>() ==
        Approx(0.25));
}

TEST_CASE("gan: the gradient penalty equals the hand-computed value", "[train][gan]") {
  // D(x) = x1^2 + x2^2: its gradient at x_hat is 2 x_hat.
  FnModel sq;
  sq.f = [](const torch::Tensor& x) { return x.pow(2).sum(1, true); };
  auto real = torch::tensor({{1.0f, 0.0f}, {1.0f, 0.0f}}),
       fake = torch::tensor({{0.0f, 1.0f}, {0.0f, 1.0f}});
  auto gp = train::gradient_penalty(sq, real, fake, torch::tensor({0.5f, 0.25f}));
  // x_hat = (0.5, 0.5): |(1, 1)| = sqrt 2; x_hat = (0.25, 0.75): |(0.5, 1.5)| = sqrt 2.5.
  const double want = (std::pow(std::sqrt(2.0) - 1, 2) + std::pow(std::sqrt(2.5) - 1, 2)) / 2;
  CHECK(gp.item<double>() == Approx(want).epsilon(1e-6));
  // D(x) = w . x with w = (3, 4): penalty (|w| - 1)^2 = 16 anywhere, and its
  // gradient reaches w: d/dw = 2 (|w| - 1) w / |w| = (4.8, 6.4).
  FnModel lin;
  auto w = torch::tensor({3.0f, 4.0f}).requires_grad_(true);
  lin.f = [w](const torch::Tensor& x) { return x.matmul(w).unsqueeze(1); };
  lin.params = {w};
  auto p = train::gradient_penalty(lin, real, fake, torch::tensor({0.3f, 0.9f}));
  CHECK(p.item<double>() == Approx(16.0));
  p.backward();
  CHECK(w.grad()[0].item<double>() == Approx(4.8));
  CHECK(w.grad()[1].item<double>() == Approx(6.4));
}

TEST_CASE("gan: keyed noise depends on the sample, not on the batch", "[train][gan]") {
  auto key = train::noise_key(1, 0, train::NoisePurpose::Generator);
  auto all = train::keyed_normal({5, 6, 7, 8}, 3, key);
  auto part = train::keyed_normal({7, 8}, 3, key);
  CHECK(torch::equal(all.slice(0, 2, 4), part));
  CHECK_FALSE(torch::equal(all[0], all[1]));
  auto other = train::keyed_normal({5}, 3, train::noise_key(1, 1, train::NoisePurpose::Generator));
  CHECK_FALSE(torch::equal(other[0], all[0]));
}

TEST_CASE("gan: networks and data that do not fit are named", "[train][gan]") {
  auto d = mixture(128, 32);
  auto s = spec(1);
  config::DistributedSpec dist;
  auto p = pair(d);
  // A generator sized for samples of 3 values, a discriminator scoring 2 per sample.
  auto wide = d;
  wide.sample_shape = {3};
  auto g3 = net(wide, config::GanRole::Generator);
  CHECK_THROWS_WITH(train::gan_preflight(s, {*g3, *p.d, 4}, d, dist),
                    Contains("the generator (mlp generator) makes [2, 3] per batch of 2, but the "
                             "data's samples are [1]"));
  CHECK_THROWS_WITH(train::gan_preflight(s, {*p.g, *p.d, 9}, d, dist),
                    Contains("cannot take its input [2, 9] (latent 9 + 0 condition(s))"));
  auto two = net(d, config::GanRole::None);  // outputs num_targets = 0 values: no score
  CHECK_THROWS_WITH(
      train::gan_preflight(s, {*p.g, *two, 4}, d, dist),
      Contains("outputs [2, 0] per batch of 2; it must give one score per sample, [N, 1]"));
  s.energy_weight = 1;
  CHECK_THROWS_WITH(train::gan_preflight(s, p.nets(), d, dist),
                    Contains("energy_weight needs the primary energy in column 0 of y "
                             "(energy_column), but the data set has 0"));
  s.energy_weight = 0;
  dist.strategy = config::StrategyKind::Zero1;
  CHECK_THROWS_WITH(train::gan_preflight(s, p.nets(), d, dist), Contains("zero1"));
}

TEST_CASE("gan precision: bf16 autocast trains on the CPU with finite losses; fp16 needs a GPU",
          "[train][gan][precision]") {
  torch::set_num_threads(1);
  auto d = mixture(512, 128);
  auto s = spec(3);
  auto p32 = pair(d), p16 = pair(d);
  test::TempDir a, b;
  auto r32 = fit(s, p32, d, a.path());
  s.precision = config::Precision::Bf16;
  auto r16 = fit(s, p16, d, b.path());
  for (const char* k : {"train_d_loss", "train_g_loss", "train_gp", "val_esum_dist"}) {
    INFO(k << " " << r16.final_metrics.at(k));
    CHECK(std::isfinite(r16.final_metrics.at(k)));
  }
  CHECK(r16.generator_steps == r32.generator_steps);
  CHECK_FALSE(same_weights(*p32.g, *p16.g));  // it really ran in bfloat16
  // bfloat16 keeps 8 bits of mantissa: the same training lands close to float32's.
  CHECK(std::abs(r16.final_metrics.at("val_esum_dist") - r32.final_metrics.at("val_esum_dist")) <
        0.15);
  s.precision = config::Precision::Fp16;
  auto p = pair(d);
  test::TempDir c;
  CHECK_THROWS_WITH(fit(s, p, d, c.path()), Contains("fp16 needs a GPU"));
}

TEST_CASE("gan precision: a resumed bf16 run ends with the weights of an uninterrupted one",
          "[train][gan][precision]") {
  torch::set_num_threads(1);
  auto d = mixture(512, 128);
  auto s = spec(4);
  s.critic_steps = 3;
  s.precision = config::Precision::Bf16;
  test::TempDir whole, split;
  auto a = pair(d);
  fit(s, a, d, whole.path());
  auto b = pair(d);
  CHECK(fit(s, b, d, split.path(), false, 2).paused);
  auto c = pair(d, 99);
  auto r = fit(s, c, d, split.path(), true);
  CHECK(r.resumed);
  CHECK(r.epochs_done == 4);
  CHECK(same_weights(*a.g, *c.g));
  CHECK(same_weights(*a.d, *c.d));
}

TEST_CASE("gan precision: the 3DGAN networks train in bf16 with every loss term",
          "[train][gan][precision]") {
  torch::set_num_threads(1);
  torch::manual_seed(5);
  // Showers of 8x8x8 cells whose totals follow the energy, with the energy as the condition.
  auto showers = [](int64_t n) {
    auto e = torch::rand({n, 1}) * 90 + 10;
    auto x = torch::rand({n, 8, 8, 8}) * e.view({n, 1, 1, 1}) / 256;
    return data::TensorData{x, e};
  };
  data::DataSplits d;
  d.train = showers(64);
  d.val = showers(16);
  d.classification = false;
  d.num_targets = 1;
  d.sample_shape = {8, 8, 8};
  auto make = [&](config::Arch arch, std::vector<int64_t> channels) {
    config::ModelSpec m;
    m.arch = arch;
    m.latent = 8;
    m.shape = {8, 8, 8};
    m.conditions = 1;
    m.channels = std::move(channels);
    return models::build_model(m, {d.sample_shape, d.num_targets}, "net");
  };
  auto g = make(config::Arch::Gan3dGenerator, {8, 4});
  auto dis = make(config::Arch::Gan3dDiscriminator, {4, 8});
  auto s = spec(1);
  s.batch_size = 16;
  s.critic_steps = 1;
  s.aux_weight = 0.1;
  s.energy_weight = 1;
  s.condition_scale = {100};
  s.precision = config::Precision::Bf16;
  test::TempDir t;
  test::TrainCall call(t.path());
  auto r = train::train_gan(s, {*g, *dis, 8}, d, call.env);
  for (const char* k : {"train_d_loss", "train_g_loss", "train_gp", "train_aux", "train_g_aux",
                        "train_energy", "val_phys_dist"}) {
    INFO(k);
    REQUIRE(r.final_metrics.count(k));
    CHECK(std::isfinite(r.final_metrics.at(k)));
  }
  CHECK(r.generator_steps == 4);
}
