// Data sets as tensors: every format through load_dataset, splits, normalization.
#include "itwin/data/dataset.hpp"

#include "itwin/util/error.hpp"
#undef CHECK  // glog's, from LibTorch

#include <catch2/catch.hpp>

#include "../helpers.hpp"
#include "../names.hpp"

using namespace itwin;
using Catch::Matchers::Contains;

namespace {
config::DatasetSpec spec_of(const std::string& format, const std::string& path = "") {
  config::DatasetSpec d;
  d.format = test::by_name(config::data_format_catalog(), format);
  d.path = path;
  return d;
}
}  // namespace

TEST_CASE("dataset: idx with counts, limit and fixed normalization", "[data]") {
  auto d = spec_of("idx", "/usr/share/datasets/fashion-mnist");
  d.split.validation = 1000;
  d.limit = 3000;
  d.normalize = config::NormalizeKind::Fixed;
  d.mean = {0.5};
  d.std = {0.25};
  auto s = data::load_dataset(d, 1, "data");
  CHECK(s.train.size() == 3000);
  CHECK(s.val.size() == 1000);
  CHECK(s.test.size() == 10000);
  CHECK(s.sample_shape == std::vector<int64_t>{1, 28, 28});
  CHECK(s.num_classes == 10);
  CHECK(s.test.tensors()->x.min().item<float>() == Approx(-2.0f));  // (0 - 0.5) / 0.25
}

TEST_CASE("dataset: npz classification and regression from NumPy", "[data]") {
  test::TempDir t;
  auto r = test::run_shell(
      "/usr/bin/python3 -c \"import numpy as np; rng = np.random.default_rng(0); "
      "x = rng.normal(size=(100, 5)).astype(np.float32); "
      "np.savez('" +
      t.path() +
      "/c.npz', x=x, y=(x[:, 0] > 0).astype(np.int64)); "
      "np.savez('" +
      t.path() + "/r.npz', features=x, target=x.sum(1))\"");
  REQUIRE(r.exit_code == 0);
  auto c = spec_of("npz", t.path() + "/c.npz");
  c.split = {0.2, 0.1};
  auto s = data::load_dataset(c, 1, "data");
  CHECK(s.classification);
  CHECK(s.num_classes == 2);
  CHECK(s.train.size() == 70);
  CHECK(s.val.size() == 20);
  CHECK(s.test.size() == 10);
  auto g = spec_of("npz", t.path() + "/r.npz");
  g.x_key = "features";
  g.y_key = "target";
  g.normalize = config::NormalizeKind::Standard;
  auto rs = data::load_dataset(g, 1, "data");
  CHECK_FALSE(rs.classification);
  CHECK(rs.num_targets == 1);
  CHECK(rs.train.tensors()->x.mean(0).abs().max().item<float>() <
        1e-5f);  // standardized on the training split
  CHECK(rs.train.tensors()->x.std(0).sub(1).abs().max().item<float>() < 1e-4f);
  c.y_key = "labels";
  CHECK_THROWS_WITH(data::load_dataset(c, 1, "data"),
                    Contains("has no array 'labels'; it has: x, y"));
}

TEST_CASE("dataset: csv with named targets", "[data]") {
  test::TempDir t;
  std::string csv = "a,b,label\n";
  for (int i = 0; i < 50; ++i)
    csv += std::to_string(i) + "," + std::to_string(i % 7) + "," + std::to_string(i % 3) + "\n";
  auto d = spec_of("csv", t.write("t.csv", csv));
  d.targets = {"label"};
  d.split.validation = 10;
  auto s = data::load_dataset(d, 1, "data");
  CHECK(s.classification);
  CHECK(s.num_classes == 3);
  CHECK(s.sample_shape == std::vector<int64_t>{2});
  d.task = config::TaskKind::Regression;
  auto r = data::load_dataset(d, 1, "data");
  CHECK_FALSE(r.classification);
}

TEST_CASE("dataset: seeded shuffling, and splits that leave nothing", "[data]") {
  auto d = spec_of("synthetic");
  auto a = data::load_dataset(d, 1, "data"), b = data::load_dataset(d, 1, "data"),
       c = data::load_dataset(d, 2, "data");
  CHECK(torch::equal(a.train.tensors()->x, b.train.tensors()->x));
  CHECK_FALSE(torch::equal(a.train.tensors()->x, c.train.tensors()->x));
  d.split.validation = 2000;
  CHECK_THROWS_WITH(data::load_dataset(d, 1, "data"), Contains("leaving none for training"));
  auto missing = spec_of("npy", "/nonexistent/x.npy");
  missing.labels = "/nonexistent/y.npy";
  CHECK_THROWS_WITH(data::load_dataset(missing, 1, "data"), Contains("/nonexistent/x.npy"));
}
