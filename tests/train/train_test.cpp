// The training engine in-process: determinism, components, resume, errors.
// LibTorch pulls in glog, whose CHECK macro collides with Catch's: include
// torch first, drop glog's CHECK, then Catch.
#include "itwin/data/dataset.hpp"
#include "itwin/models/model.hpp"
#include "itwin/train/checkpoint.hpp"
#include "itwin/train/objective.hpp"
#include "itwin/train/trainer.hpp"
#include "itwin/util/error.hpp"
#undef CHECK

#include <catch2/catch.hpp>
#include <filesystem>
#include <limits>

#include "../helpers.hpp"
#include "../names.hpp"
#include "fixtures.hpp"

using namespace itwin;
using Catch::Matchers::Contains;

namespace {

data::DataSplits blobs(int64_t samples = 600, double noise = 1.0) {
  config::DatasetSpec d;
  d.format = config::DataFormat::Synthetic;
  d.synthetic.samples = samples;
  d.synthetic.noise = noise;
  d.split.validation = 0.2;
  return data::load_dataset(d, 3, "data");
}

data::DataSplits regression(int64_t samples = 400) {
  config::DatasetSpec d;
  d.format = config::DataFormat::Synthetic;
  d.synthetic.task = config::SyntheticTask::Regression;
  d.synthetic.samples = samples;
  d.split.validation = 0.2;
  return data::load_dataset(d, 5, "data");
}

data::DataSplits images(int64_t n = 64) {
  torch::manual_seed(1);
  data::DataSplits s;
  s.train = {torch::randn({n, 1, 16, 16}), torch::randint(0, 3, {n}, torch::kLong)};
  s.val = {torch::randn({16, 1, 16, 16}), torch::randint(0, 3, {16}, torch::kLong)};
  s.classification = true;
  s.num_classes = 3;
  s.sample_shape = {1, 16, 16};
  return s;
}

std::shared_ptr<models::Model> model_for(const data::DataSplits& d, const std::string& arch,
                                         uint64_t seed = 7) {
  config::ModelSpec m;
  m.arch = test::by_name(config::arch_catalog(), arch);
  m.hidden = {32};
  m.dropout = arch == "mlp" ? 0.2 : m.dropout;
  m.channels = {4, 8};
  m.hidden_size = 8;
  torch::manual_seed(seed);
  return models::build_model(m, {d.sample_shape, d.classification ? d.num_classes : d.num_targets},
                             "model");
}

train::TrainResult fit(const config::TrainerSpec& spec, models::Model& m, const data::DataSplits& d,
                       const std::string& dir, bool resume = false) {
  test::TrainCall call(dir, resume);
  return train::train_model(spec, m, d, call.env);
}

using test::same_weights;

config::TrainerSpec quick(int64_t epochs = 2) {
  config::TrainerSpec t;
  t.epochs = epochs;
  t.batch_size = 32;
  t.optimizer.lr = 0.01;
  t.checkpoint.every = 1;
  return t;
}

}  // namespace

TEST_CASE("train: same config and seed give bit-identical weights", "[train]") {
  torch::set_num_threads(1);
  auto d = blobs();
  test::TempDir t1, t2;
  auto a = model_for(d, "mlp"), b = model_for(d, "mlp");
  fit(quick(3), *a, d, t1.path());
  fit(quick(3), *b, d, t2.path());
  CHECK(same_weights(*a, *b));
  auto c = model_for(d, "mlp", 8);
  test::TempDir t3;
  fit(quick(3), *c, d, t3.path());
  CHECK_FALSE(same_weights(*a, *c));
}

TEST_CASE("train: a classifier learns separable blobs", "[train]") {
  auto d = blobs(800, 0.5);
  auto m = model_for(d, "mlp");
  test::TempDir t;
  auto r = fit(quick(5), *m, d, t.path());
  CHECK(r.final_metrics.at("val_accuracy") > 0.9);
  CHECK(r.epochs_done == 5);
  CHECK(std::filesystem::exists(t.path() + "/checkpoints/best/model.pt"));
}

TEST_CASE("train: every architecture trains", "[train][models]") {
  test::TempDir t;
  auto img = images();
  for (const char* arch : {"cnn", "resnet", "mlp"}) {
    INFO(arch);
    auto m = model_for(img, arch);
    auto r = fit(quick(1), *m, img, t.path() + "/" + arch);
    CHECK(std::isfinite(r.final_metrics.at("train_loss")));
  }
  config::DatasetSpec seq;
  seq.format = config::DataFormat::Synthetic;
  seq.synthetic.task = config::SyntheticTask::Sequence;
  seq.synthetic.samples = 200;
  seq.synthetic.features = 3;
  seq.synthetic.seq_len = 10;
  auto sd = data::load_dataset(seq, 1, "seq");
  CHECK(sd.sample_shape == std::vector<int64_t>{10, 3});
  auto lstm = model_for(sd, "lstm");
  auto spec = quick(3);
  spec.loss = test::by_name(config::loss_catalog(), "mse");
  spec.metrics = test::metrics({"mae", "r2"});
  auto r = fit(spec, *lstm, sd, t.path() + "/lstm");
  CHECK(r.final_metrics.count("val_r2"));
}

TEST_CASE("train: architectures reject input they cannot take", "[models]") {
  auto d = blobs();
  CHECK_THROWS_WITH(model_for(d, "cnn"), Contains("model 'cnn' needs an image [C, H, W] with H, W "
                                                  ">= 16 per sample, but the data gives [16]"));
  CHECK_THROWS_WITH(model_for(d, "lstm"), Contains("needs a sequence [T, F]"));
}

TEST_CASE("train: every optimizer reduces a regression loss", "[train]") {
  auto d = regression();
  for (const char* name : {"sgd", "adam", "adamw", "rmsprop", "adagrad"}) {
    INFO(name);
    auto m = model_for(d, "mlp");
    auto spec = quick(6);
    spec.loss = test::by_name(config::loss_catalog(), "mse");
    spec.metrics = test::metrics({"rmse"});
    spec.optimizer.name = test::by_name(config::optimizer_catalog(), name);
    spec.optimizer.lr = std::string(name) == "sgd" ? 0.05 : 0.01;
    spec.optimizer.momentum = std::string(name) == "sgd" ? 0.9 : 0.0;
    test::TempDir t;
    auto r = fit(spec, *m, d, t.path());
    auto first = train::evaluate(spec, *model_for(d, "mlp"), d.val, "val_");
    CHECK(r.final_metrics.at("val_loss") < 0.7 * first.at("val_loss"));
  }
}

TEST_CASE("objective: losses match their formulas", "[train]") {
  config::TrainerSpec s;
  auto out = torch::tensor({{2.0f, 0.5f}, {0.1f, 1.0f}});
  auto cls = torch::tensor({0L, 1L});
  auto expect_ce = -(torch::log_softmax(out, 1).gather(1, cls.unsqueeze(1))).mean();
  s.loss = test::by_name(config::loss_catalog(), "cross_entropy");
  CHECK(train::compute_loss(s, out, cls).item<double>() == Approx(expect_ce.item<double>()));
  s.loss = test::by_name(config::loss_catalog(), "nll");
  CHECK(train::compute_loss(s, out, cls).item<double>() == Approx(expect_ce.item<double>()));
  auto target = torch::tensor({{1.0f, 1.0f}, {0.0f, 3.0f}});
  s.loss = test::by_name(config::loss_catalog(), "mse");
  CHECK(train::compute_loss(s, out, target).item<double>() == Approx((1 + 0.25 + 0.01 + 4) / 4.0));
  s.loss = test::by_name(config::loss_catalog(), "l1");
  CHECK(train::compute_loss(s, out, target).item<double>() == Approx((1 + 0.5 + 0.1 + 2) / 4.0));
  s.loss = test::by_name(config::loss_catalog(), "huber");
  s.huber_delta = 1.0;  // 0.5*e^2 inside delta, delta*(|e|-0.5*delta) outside
  CHECK(train::compute_loss(s, out, target).item<double>() ==
        Approx((0.5 + 0.125 + 0.005 + 1.5) / 4.0));
  s.loss = test::by_name(config::loss_catalog(), "bce_with_logits");
  auto bin = torch::tensor({{1.0f, 0.0f}, {0.0f, 1.0f}});
  auto manual =
      -(bin * torch::log(torch::sigmoid(out)) + (1 - bin) * torch::log(1 - torch::sigmoid(out)))
           .mean();
  CHECK(train::compute_loss(s, out, bin).item<double>() == Approx(manual.item<double>()));
}

TEST_CASE("objective: metrics accumulate over batches", "[train]") {
  train::MetricSums m(test::metrics({"accuracy", "top2"}));
  m.add(1.0, torch::tensor({{3.0f, 2.0f, 1.0f}, {1.0f, 2.0f, 3.0f}}), torch::tensor({0L, 1L}));
  m.add(3.0, torch::tensor({{1.0f, 2.0f, 0.0f}}), torch::tensor({2L}));
  auto f = m.finalize("v_");
  CHECK(f.at("v_loss") == Approx((1.0 * 2 + 3.0) / 3));
  CHECK(f.at("v_accuracy") == Approx(1.0 / 3));
  CHECK(f.at("v_top2") == Approx(2.0 / 3));
  train::MetricSums r(test::metrics({"mae", "rmse", "r2"}));
  r.add(0, torch::tensor({{1.0f}, {2.0f}}), torch::tensor({{1.0f}, {4.0f}}));
  r.add(0, torch::tensor({{3.0f}}), torch::tensor({{1.0f}}));
  auto g = r.finalize("");
  CHECK(g.at("mae") == Approx(4.0 / 3));
  CHECK(g.at("rmse") == Approx(std::sqrt(8.0 / 3)));
  // y = 1, 4, 1: mean 2, SST = 1 + 4 + 1 = 6; SSE = 8
  CHECK(g.at("r2") == Approx(1.0 - 8.0 / 6.0));
}

TEST_CASE("sampler: DistributedSampler semantics", "[data]") {
  auto a = data::epoch_indices(10, true, 1, 0), b = data::epoch_indices(10, true, 1, 0),
       c = data::epoch_indices(10, true, 1, 1);
  CHECK(a == b);
  CHECK(a != c);
  std::vector<int64_t> all;
  for (int r = 0; r < 3; ++r) {
    auto mine = data::epoch_indices(10, true, 1, 0, r, 3);
    CHECK(mine.size() == 4);  // padded: ceil(10/3)
    all.insert(all.end(), mine.begin(), mine.end());
  }
  std::sort(all.begin(), all.end());
  CHECK(std::unique(all.begin(), all.end()) - all.begin() == 10);  // every sample seen
  CHECK(data::epoch_indices(10, false, 1, 0, 1, 3, true) == std::vector<int64_t>{1, 4, 7});
}

TEST_CASE("train: gradient accumulation equals the larger batch", "[train]") {
  auto d = regression(256);
  d.shuffle = false;
  auto spec = quick(2);
  spec.loss = test::by_name(config::loss_catalog(), "mse");
  spec.metrics = test::metrics({"mae"});
  spec.optimizer.name = config::OptimizerKind::Sgd;
  spec.optimizer.lr = 0.05;
  config::ModelSpec ms;
  ms.arch = config::Arch::Mlp;
  ms.hidden = {16};
  ms.dropout = 0;
  torch::manual_seed(3);
  auto a = models::build_model(ms, {d.sample_shape, 1}, "m");
  torch::manual_seed(3);
  auto b = models::build_model(ms, {d.sample_shape, 1}, "m");
  spec.batch_size = 64;
  test::TempDir t1, t2;
  fit(spec, *a, d, t1.path());
  spec.batch_size = 32;
  spec.grad_accum = 2;
  fit(spec, *b, d, t2.path());
  auto sa = a->state(), sb = b->state();
  for (size_t i = 0; i < sa.size(); ++i)
    CHECK(torch::allclose(sa[i].second, sb[i].second, 1e-5, 1e-6));
}

TEST_CASE("train: early stopping stops after `patience` flat epochs", "[train]") {
  auto d = blobs();
  auto m = model_for(d, "mlp");
  auto spec = quick(20);
  spec.optimizer.lr = 1e-12;  // nothing improves
  spec.early_stopping.patience = 2;
  test::TempDir t;
  auto r = fit(spec, *m, d, t.path());
  CHECK(r.early_stopped);
  CHECK(r.epochs_done == 3);
}

TEST_CASE("train: a diverging run stops with exit code 3 and keeps its checkpoint", "[train]") {
  auto d = regression();
  auto m = model_for(d, "mlp");
  auto spec = quick(4);
  spec.loss = test::by_name(config::loss_catalog(), "mse");
  spec.metrics = test::metrics({"mae"});
  spec.optimizer.name = config::OptimizerKind::Sgd;
  spec.scheduler.name = config::ScheduleKind::Step;
  spec.scheduler.step_size = 1;
  spec.scheduler.gamma = 1e30;  // epoch 2 runs at lr 1e28
  test::TempDir t;
  try {
    fit(spec, *m, d, t.path());
    FAIL("expected divergence");
  } catch (const RuntimeError& e) {
    CHECK(e.exit_code() == kExitDiverged);
    CHECK_THAT(e.what(), Contains("training diverged"));
    CHECK_THAT(e.what(), Contains("checkpoints/epoch-0001"));
  }
  auto ck = train::latest_checkpoint(t.path() + "/checkpoints");
  REQUIRE(ck);
  auto fresh = model_for(d, "mlp");
  models::load_state_dict(*fresh, *ck + "/model.pt");
  for (auto& [name, v] : fresh->state()) CHECK(torch::isfinite(v).all().item<bool>());
}

TEST_CASE("train: loss and data that do not fit are clear errors", "[train]") {
  auto d = blobs();
  auto m = model_for(d, "mlp");
  auto spec = quick(1);
  spec.loss = test::by_name(config::loss_catalog(), "mse");
  test::TempDir t;
  CHECK_THROWS_WITH(fit(spec, *m, d, t.path()),
                    Contains("needs real-valued targets, but the data set has class labels"));
  auto other = regression();
  other.train = {torch::randn({50, 8}), other.train.tensors()->y.slice(0, 0, 50)};
  auto reg = model_for(regression(), "mlp");
  spec.metrics = test::metrics({"mae"});
  CHECK_THROWS_WITH(fit(spec, *reg, other, t.path()),
                    Contains("cannot take the data's input [2, 8]"));
}

TEST_CASE("train: resuming gives the same weights as an uninterrupted run", "[train]") {
  torch::set_num_threads(1);
  auto d = blobs();
  test::TempDir whole, split;
  auto a = model_for(d, "mlp");  // has dropout: the RNG state must be restored too
  fit(quick(4), *a, d, whole.path());
  auto b = model_for(d, "mlp");
  fit(quick(2), *b, d, split.path());
  auto c = model_for(d, "mlp", 99);  // a fresh process would start from other weights
  auto r = fit(quick(4), *c, d, split.path(), true);
  CHECK(r.resumed);
  CHECK(r.epochs_done == 4);
  CHECK(same_weights(*a, *c));
}

TEST_CASE("models: state dicts round-trip and reject other architectures", "[models]") {
  auto d = blobs();
  auto a = model_for(d, "mlp"), b = model_for(d, "mlp", 1);
  test::TempDir t;
  models::save_state_dict(*a, t.path() + "/m.pt");
  CHECK_FALSE(same_weights(*a, *b));
  models::load_state_dict(*b, t.path() + "/m.pt");
  CHECK(same_weights(*a, *b));
  auto img = images();
  auto cnn = model_for(img, "cnn");
  CHECK_THROWS_WITH(models::load_state_dict(*cnn, t.path() + "/m.pt"),
                    Contains("have no entry 'conv1.weight'"));
  CHECK_THROWS_WITH(models::load_state_dict(*cnn, t.write("junk.pt", "not a pickle")),
                    Contains("cannot read weights"));
}

TEST_CASE("precision: bf16 autocast trains on the CPU close to fp32; fp16 needs a GPU",
          "[train][precision]") {
  torch::set_num_threads(1);
  auto d = blobs(800, 0.5);
  test::TempDir a, b;
  auto m32 = model_for(d, "mlp"), m16 = model_for(d, "mlp");
  auto r32 = fit(quick(3), *m32, d, a.path());
  auto spec = quick(3);
  spec.precision = config::Precision::Bf16;
  auto r16 = fit(spec, *m16, d, b.path());
  CHECK(std::isfinite(r16.final_metrics.at("val_loss")));
  // bfloat16 keeps 8 bits of mantissa: the same training lands within a few points.
  CHECK(std::abs(r16.final_metrics.at("val_accuracy") - r32.final_metrics.at("val_accuracy")) <
        0.05);
  CHECK_FALSE(same_weights(*m32, *m16));  // it really ran in bfloat16
  spec.precision = config::Precision::Fp16;
  auto m = model_for(d, "mlp");
  test::TempDir c;
  CHECK_THROWS_WITH(fit(spec, *m, d, c.path()), Contains("fp16 needs a GPU"));
}

TEST_CASE("precision: the fp16 loss scale backs off on overflow and grows after 2000 finite steps",
          "[train][precision]") {
  train::LossScaler s(true);
  const double start = s.value();
  auto w = torch::ones({3}, torch::requires_grad());
  w.mutable_grad() = torch::full({3}, start * 2.0);
  CHECK(s.unscale({w}));
  CHECK(w.grad()[0].item<double>() == Approx(2.0));
  s.update(true);
  w.mutable_grad() = torch::tensor({1.0f, std::numeric_limits<float>::infinity(), 0.0f});
  CHECK_FALSE(s.unscale({w}));
  s.update(false);
  CHECK(s.value() == Approx(start / 2));
  for (int i = 0; i < 1999; ++i) s.update(true);
  CHECK(s.value() == Approx(start / 2));
  s.update(true);
  CHECK(s.value() == Approx(start));
  train::LossScaler off(false);
  CHECK(off.scale(torch::ones({1})).item<double>() == 1.0);
}

TEST_CASE("precision: the fp16 loss scale and its growth survive a checkpoint",
          "[train][precision]") {
  auto d = blobs();
  auto m = model_for(d, "mlp");
  auto opt = torch::optim::SGD(m->parameters(), torch::optim::SGDOptions(0.1));
  train::LossScaler s(true);
  s.update(false);                             // an overflow: the scale halves
  for (int i = 0; i < 7; ++i) s.update(true);  // 7 finite steps towards the next growth
  train::TrainState st;
  s.save(st);
  test::TempDir t;
  train::save_checkpoint(t.path(), "epoch-0001", *m, opt, st, "");
  train::LossScaler back(true);
  back.load(train::load_checkpoint(t.path() + "/epoch-0001", nullptr, nullptr));
  CHECK(back.value() == s.value());
  CHECK(back.value() == Approx(32768.0));
  CHECK(back.growth() == 7);
  // Without loss scaling the checkpoint holds none, and loading it changes nothing.
  train::LossScaler off(false);
  train::TrainState none;
  off.save(none);
  CHECK(none.loss_scale == 0);
  train::LossScaler fresh(true);
  fresh.load(none);
  CHECK(fresh.value() == Approx(65536.0));
}
