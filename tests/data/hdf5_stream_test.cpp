// `format: hdf5` in blocks (stream: true | auto): read from disk or held in
// memory, the same samples in the same order on every rank; the blocks stay
// within max_memory; bad files are named.
#include "itwin/data/datacube.hpp"
#include "itwin/data/dataset.hpp"
#include "itwin/data/hdf5_write.hpp"
#include "itwin/data/stream.hpp"
#include "itwin/util/error.hpp"
#undef CHECK

#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <set>

#include "../helpers.hpp"
#include "passes.hpp"

using namespace itwin;
using Catch::Matchers::Contains;
using test::pass;

namespace {

// x [n, 2, 3] float32 with x[i] = i + k / 10 (k = 0..5), y [n] int64 = i % 4.
std::string rows_file(const test::TempDir& d, int64_t n, int64_t nan_row = -1) {
  data::Array x, y;
  x.shape = {n, 2, 3};
  x.bytes.resize(static_cast<size_t>(n * 6 * 4));
  auto* xp = reinterpret_cast<float*>(x.bytes.data());
  for (int64_t i = 0; i < n; ++i)
    for (int k = 0; k < 6; ++k) xp[i * 6 + k] = static_cast<float>(i) + static_cast<float>(k) / 10;
  if (nan_row >= 0) xp[nan_row * 6 + 4] = NAN;
  y.dtype = data::DType::I64;
  y.shape = {n};
  y.bytes.resize(static_cast<size_t>(n * 8));
  auto* yp = reinterpret_cast<int64_t*>(y.bytes.data());
  for (int64_t i = 0; i < n; ++i) yp[i] = i % 4;
  std::string p = d.path() + "/rows.h5";
  data::write_hdf5(p, {{"x", x, {}}, {"label", y, {}}});
  return p;
}

config::DatasetSpec spec(const std::string& path, config::StreamMode mode, int64_t max_memory) {
  config::DatasetSpec s;
  s.format = config::DataFormat::Hdf5;
  s.path = path;
  s.x_key = "x";
  s.y_keys = {"label"};
  s.split.validation = 0.1;
  s.split.test = 25;
  s.stream.mode = mode;
  s.stream.max_memory = max_memory;
  s.stream.block = 16;
  return s;
}

}  // namespace

TEST_CASE("hdf5 blocks: streamed from disk and held in memory give the same samples in order",
          "[data][hdf5][stream]") {
  test::TempDir d;
  auto path = rows_file(d, 500);  // 24 KB of x
  auto disk = data::load_dataset(spec(path, config::StreamMode::On, 8192), 3, "data");
  auto mem = data::load_dataset(spec(path, config::StreamMode::Auto, 1 << 20), 3, "data");
  CHECK_THAT(disk.description, Contains("streamed from disk"));
  CHECK_THAT(mem.description, Contains("held in memory"));
  REQUIRE(disk.train.size() == 500 - 50 - 25);
  CHECK(disk.val.size() == 50);
  CHECK(disk.test.size() == 25);
  CHECK(disk.classification);
  CHECK(disk.num_classes == 4);
  CHECK(disk.sample_shape == std::vector<int64_t>{2, 3});
  // Every row of the file once over the splits, with its own label.
  std::set<int64_t> rows;
  for (const data::Split* sp : {&disk.train, &disk.val, &disk.test}) {
    auto all = pass(sp->samples(), sp->samples().eval_order(0, 1), 0, 7);
    for (int64_t i = 0; i < all.size(); ++i) {
      const auto r = static_cast<int64_t>(all.x[i][0][0].item<float>());
      rows.insert(r);
      CHECK(all.y[i].item<int64_t>() == r % 4);
      CHECK(all.x[i][1][2].item<float>() == Approx(static_cast<float>(r) + 0.5f));
    }
  }
  CHECK(rows.size() == 500);
  // The same shards and order on each of 3 ranks, epoch after epoch, and from the middle.
  for (uint64_t epoch : {0u, 1u}) {
    std::set<int64_t> seen;
    for (int r = 0; r < 3; ++r) {
      auto o = disk.train.samples().epoch_order(true, 9, epoch, r, 3, false);
      REQUIRE(o == mem.train.samples().epoch_order(true, 9, epoch, r, 3, false));
      auto a = pass(disk.train.samples(), o, 0, 32), b = pass(mem.train.samples(), o, 0, 32);
      CHECK(torch::equal(a.x, b.x));
      CHECK(torch::equal(a.y, b.y));
      auto rest = pass(disk.train.samples(), o, 3 * 32, 32);  // resumed at step 3
      CHECK(torch::equal(rest.x, a.x.narrow(0, 3 * 32, a.size() - 3 * 32)));
      for (int64_t i = 0; i < a.size(); ++i)
        seen.insert(static_cast<int64_t>(a.x[i][0][0].item<float>()));
    }
    CHECK(seen.size() == 425);  // every training row once per epoch over the ranks
  }
  // normalize: standard from the training rows, the same in both residencies.
  auto sd = spec(path, config::StreamMode::On, 8192);
  sd.normalize = config::NormalizeKind::Standard;
  auto sm = sd;
  sm.stream.mode = config::StreamMode::Auto;
  sm.stream.max_memory = 1 << 20;
  auto nd = data::load_dataset(sd, 3, "data"), nm = data::load_dataset(sm, 3, "data");
  auto o = nd.train.samples().epoch_order(true, 9, 0, 0, 1, false);
  auto a = pass(nd.train.samples(), o, 0, 50), b = pass(nm.train.samples(), o, 0, 50);
  CHECK(torch::equal(a.x, b.x));
  CHECK(a.x.mean().item<double>() == Approx(0).margin(1e-4));
  CHECK(a.x.std().item<double>() == Approx(1).epsilon(0.01));
}

TEST_CASE("hdf5 blocks: a file larger than max_memory is read within it", "[data][hdf5][stream]") {
  test::TempDir d;
  auto path = rows_file(d, 4000);    // 96 KB of x: 3x the budget
  const int64_t budget = 40 * 1024;  // x (96 KB) and y (32 KB) do not fit
  auto s = data::load_dataset(spec(path, config::StreamMode::Auto, budget), 1, "data");
  CHECK_THAT(s.description, Contains("streamed from disk"));
  CHECK(4000 * 24 > 2 * budget);
  const auto& train = s.train.samples();
  for (uint64_t epoch = 0; epoch < 2; ++epoch) {
    auto o = train.epoch_order(true, 1, epoch, 0, 1, false);
    auto all = pass(train, o, 0, 10);
    CHECK(all.size() == static_cast<int64_t>(o.size()));
  }
  auto m = data::block_memory(train);
  CHECK(m.peak > 0);
  CHECK(m.peak <= budget);
  CHECK(m.peak <= 3 * 16 * 24);  // prefetch 2 + the block in use
  CHECK(m.resident == 0);        // the pass is over: its blocks are gone
  // A budget that cannot hold the blocks is the config's problem, said before anything is read.
  CHECK_THROWS_AS(data::load_dataset(spec(path, config::StreamMode::On, 1000), 1, "data"),
                  data::DataMismatch);
  CHECK_THROWS_WITH(data::load_dataset(spec(path, config::StreamMode::On, 1000), 1, "data"),
                    Contains("max_memory 1000 B cannot hold 3 blocks of 16 rows") &&
                        Contains("lower block_rows or prefetch, or raise max_memory"));
}

TEST_CASE("hdf5 blocks: bad files name the file, the dataset and the row", "[data][hdf5][stream]") {
  test::TempDir d;
  auto path = rows_file(d, 300, 217);
  // Streamed: the block holding row 217 fails when training reaches it, on the trainer's thread.
  auto all = spec(path, config::StreamMode::On, 4096);
  all.split.validation = all.split.test = 0;  // every row in training
  auto s = data::load_dataset(all, 1, "data");
  auto o = s.train.samples().eval_order(0, 1);
  CHECK_THROWS_WITH(pass(s.train.samples(), o, 0, 10),
                    Contains(path + ": dataset 'x' has a NaN or infinite value in row 217"));
  // In memory (auto, or stream: false): when the data set is loaded.
  CHECK_THROWS_WITH(data::load_dataset(spec(path, config::StreamMode::Auto, 1 << 20), 1, "data"),
                    Contains("dataset 'x' has a NaN or infinite value in row 217"));
  CHECK_THROWS_WITH(data::load_dataset(spec(path, config::StreamMode::Off, 0), 1, "data"),
                    Contains("dataset 'x' has 1 NaN or infinite value, the first in sample 217"));
  // A missing dataset, a y of the wrong rank: DataMismatch (exit 2), naming them.
  auto good = rows_file(d, 40);
  auto missing = spec(good, config::StreamMode::On, 4096);
  missing.x_key = "xx";
  CHECK_THROWS_AS(data::load_dataset(missing, 1, "data"), data::DataMismatch);
  CHECK_THROWS_WITH(data::load_dataset(missing, 1, "data"),
                    Contains("no dataset 'xx'") && Contains(good));
  try {
    data::load_dataset(missing, 1, "data");
  } catch (const Error& e) {
    CHECK(e.exit_code() == 2);
  }
  auto rank = spec(good, config::StreamMode::On, 4096);
  rank.y_keys = {"x"};
  rank.x_key = "label";
  CHECK_THROWS_WITH(data::load_dataset(rank, 1, "data"),
                    Contains("dataset 'x' has shape [40, 2, 3]; as y it must be [40] or [40, k]"));
}
