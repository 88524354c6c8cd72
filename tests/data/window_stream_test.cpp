// `format: netcdf` in blocks of time steps (stream: true | auto): the windows
// of the in-memory path, read from disk or held in memory in the same order
// on every rank, within max_memory; a missing input is named.
#include "itwin/data/dataset.hpp"
#include "itwin/data/stream.hpp"
#undef CHECK  // glog's, from LibTorch

#include <algorithm>
#include <catch2/catch.hpp>

#include "../helpers.hpp"
#include "drought_fixture.hpp"
#include "itwin/util/error.hpp"
#include "passes.hpp"

using namespace itwin;
using Catch::Matchers::Contains;
using test::pass;

namespace {

const std::string& cube() {
  static test::TempDir dir;
  static const std::string path = test::drought_cube(dir);  // 8 catchments x 400 days
  return path;
}

config::DatasetSpec blocks(config::StreamMode mode, int64_t max_memory) {
  auto s = test::drought_spec(cube());
  s.stream.mode = mode;
  s.stream.max_memory = max_memory;
  s.stream.block = 32;
  return s;
}

// Each window as (target, sum of its inputs), sorted: the same windows whatever their order.
std::vector<std::pair<float, double>> fingerprints(const data::TensorData& d) {
  std::vector<std::pair<float, double>> v;
  auto sums = d.x.to(torch::kFloat64).flatten(1).sum(1);
  for (int64_t i = 0; i < d.size(); ++i)
    v.emplace_back(d.y[i][0].item<float>(), sums[i].item<double>());
  std::sort(v.begin(), v.end());
  return v;
}

}  // namespace

TEST_CASE("netcdf blocks: the in-memory path's windows, the same order from disk and memory",
          "[data][netcdf][stream]") {
  auto disk = data::load_dataset(blocks(config::StreamMode::On, 1 << 20), 5, "data");
  auto mem = data::load_dataset(blocks(config::StreamMode::Auto, 1 << 30), 5, "data");
  auto plain = data::load_dataset(test::drought_spec(cube()), 5, "data");  // stream: false
  CHECK_THAT(disk.description, Contains("streamed from disk"));
  CHECK_THAT(mem.description, Contains("held in memory"));
  CHECK(disk.sample_shape == plain.sample_shape);
  // The same windows, normalised alike, in every split.
  for (auto part : {&data::DataSplits::train, &data::DataSplits::val, &data::DataSplits::test}) {
    const data::Split &a = disk.*part, &b = plain.*part;
    REQUIRE(a.size() == b.size());
    auto fa = fingerprints(pass(a.samples(), a.samples().eval_order(0, 1), 0, 64));
    auto fb = fingerprints(pass(b.samples(), b.samples().eval_order(0, 1), 0, 64));
    for (size_t i = 0; i < fa.size(); ++i) {
      CHECK(fa[i].first == fb[i].first);
      CHECK(fa[i].second == Approx(fb[i].second).margin(1e-9));
    }
  }
  // Disk and memory: the same shards and batches on each of 2 ranks, and from the middle.
  for (int r = 0; r < 2; ++r) {
    auto o = disk.train.samples().epoch_order(true, 5, 1, r, 2, false);
    REQUIRE(o == mem.train.samples().epoch_order(true, 5, 1, r, 2, false));
    auto a = pass(disk.train.samples(), o, 0, 64), b = pass(mem.train.samples(), o, 0, 64);
    CHECK(torch::equal(a.x, b.x));
    CHECK(torch::equal(a.y, b.y));
    auto rest = pass(disk.train.samples(), o, 5 * 64, 64);  // resumed at step 5
    CHECK(torch::equal(rest.x, a.x.narrow(0, 5 * 64, a.size() - 5 * 64)));
  }
}

TEST_CASE("netcdf blocks: a cube larger than max_memory is read within it",
          "[data][netcdf][stream]") {
  // Held: targets and the window list (8 x 400 x 12 B) and statics; blocks of 32 + 29 steps of
  // 8 catchments x 4 variables (7.6 KiB) with prefetch 2: 61 KiB. The inputs, 37.5 KiB more,
  // do not fit.
  const int64_t budget = 64 * 1024;
  auto s = data::load_dataset(blocks(config::StreamMode::Auto, budget), 5, "data");
  CHECK_THAT(s.description, Contains("streamed from disk"));
  auto o = s.train.samples().epoch_order(true, 5, 0, 0, 1, false);
  CHECK(pass(s.train.samples(), o, 0, 64).size() == s.train.size());
  auto m = data::block_memory(s.train.samples());
  CHECK(m.peak > 0);
  CHECK(m.peak <= 3 * (61 * 8 * 4 + 8 * 2) * 4);  // prefetch 2 + the block in use
  CHECK(m.resident == 0);
  CHECK_THROWS_WITH(data::load_dataset(blocks(config::StreamMode::On, 40 * 1024), 5, "data"),
                    Contains("max_memory 40.0 KiB cannot hold 3 blocks of 32 steps") &&
                        Contains("lower block_steps or prefetch, or raise max_memory"));
}

TEST_CASE("netcdf blocks: a missing input value is named with its file, variable and place",
          "[data][netcdf][stream]") {
  test::TempDir d;
  auto path = test::hand_cube(d, "gap.nc", 120, 4,
                              "nc.createVariable('q', 'f4', ('time', 'catchment'))[:] = t * 0.5\n"
                              "v = nc['p'][:]\nv[50, 3] = np.nan\nnc['p'][:] = v\n");
  config::DatasetSpec s;
  s.format = config::DataFormat::Netcdf;
  s.path = path;
  s.netcdf.dynamic = {"p"};
  s.netcdf.targets = {"q"};
  s.netcdf.seq_length = 10;
  s.split.validation = 1;
  s.stream.mode = config::StreamMode::On;
  CHECK_THROWS_WITH(data::load_dataset(s, 1, "data"),
                    Contains(path + ": variable 'p' (dynamic input) has a missing value") &&
                        Contains("at time index 50, catchment index 3"));
  s.netcdf.dynamic = {"pp"};
  try {
    data::load_dataset(s, 1, "data");
    FAIL("no error");
  } catch (const ConfigError& e) {
    CHECK(e.exit_code() == 2);
    CHECK_THAT(e.what(), Contains("has no variable 'pp' (dynamic) (did you mean 'p'?)"));
  }
}
