// The netcdf data set before tensors: reading and checking the datacube
// (bad files), derived variables, splits, normalisation and windows.
#include "itwin/data/datacube.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <set>

#include "../helpers.hpp"
#include "drought_fixture.hpp"
#include "itwin/plugin/registry.hpp"

using namespace itwin;
using Catch::Matchers::Contains;

namespace {

struct Caught {
  std::string what;
  int exit_code = -1;
};

/// The error `f` throws as E (a test failure when it throws nothing).
template <class E, class F>
Caught caught(F&& f) {
  try {
    f();
  } catch (const E& e) {
    return {e.what(), e.exit_code()};
  }
  FAIL("nothing thrown");
  return {};
}

const std::string& shared_cube() {
  static test::TempDir dir;
  static const std::string path = test::drought_cube(dir);
  return path;
}

data::RawCube read(const config::DatasetSpec& s) { return data::read_cube(s, "step 'data'"); }
data::WindowSplits cut(const config::DatasetSpec& s, uint64_t seed = 1) {
  return data::cut_windows(read(s), s, seed, "step 'data'");
}

/// A spec over hand_cube's p (input), a (static) and y = 2 p (target).
config::DatasetSpec hand_spec(const std::string& path) {
  config::DatasetSpec s;
  s.format = config::DataFormat::Netcdf;
  s.path = path;
  s.netcdf.dynamic = {"p"};
  s.netcdf.statics = {"a"};
  s.netcdf.targets = {"y"};
  s.netcdf.seq_length = 5;
  s.split.validation = 0;
  return s;
}
const char* kTarget = "nc.createVariable('y', 'f4', ('time', 'catchment'))[:] = 2 * (t + 10 * c)";

std::string fixture(const std::string& mode) {
  return std::string(std::getenv("ITWIN_TEST_FIXTURES")) + "/libfixture_" + mode + ".so";
}

}  // namespace

TEST_CASE(
    "datacube: the drought file's variables; missing values only in targets, as the file masks "
    "them",
    "[data][netcdf]") {
  auto s = test::drought_spec(shared_cube());
  auto raw = read(s);
  CHECK(raw.n_time == 400);
  CHECK(raw.n_catchments == 8);
  REQUIRE(raw.dynamic.size() == 3);
  REQUIRE(raw.statics.size() == 2);
  CHECK(raw.statics[0].size() == 8);
  int64_t nan = 0;
  for (float v : raw.targets[0]) nan += std::isnan(v);
  auto py = test::run_shell(
      "/usr/bin/python3 -c \"import netCDF4, numpy as np; "
      "print(np.ma.count_masked(netCDF4.Dataset('" +
      shared_cube() + "')['discharge'][:]))\"");
  REQUIRE(py.exit_code == 0);
  CHECK(nan == std::stol(py.out));
  CHECK(nan > 0);  // --small loses 2 % in gauge outages
}

TEST_CASE("datacube: a variable or dimension the file lacks is a DataMismatch (exit 2) naming both",
          "[data][netcdf]") {
  auto s = test::drought_spec(shared_cube());
  s.netcdf.dynamic = {"precip", "precp"};
  auto e = caught<data::DataMismatch>([&] { read(s); });
  CHECK(e.exit_code == 2);
  CHECK_THAT(e.what, Contains(shared_cube() +
                              " has no variable 'precp' (dynamic) (did you mean 'precip'?)"));
  s = test::drought_spec(shared_cube());
  s.netcdf.statics = {"elevaton"};
  CHECK_THAT(caught<data::DataMismatch>([&] { read(s); }).what,
             Contains("no variable 'elevaton' (static)"));
  s = test::drought_spec(shared_cube());
  s.netcdf.space_dim = "catchments";
  CHECK_THAT(caught<data::DataMismatch>([&] { read(s); }).what,
             Contains("has no dimension 'catchments' (did you mean 'catchment'?)"));
}

TEST_CASE(
    "datacube: a variable of the wrong rank or type is a DataMismatch saying what was expected",
    "[data][netcdf]") {
  auto s = test::drought_spec(shared_cube());
  s.netcdf.dynamic = {"area"};
  CHECK_THAT(
      caught<data::DataMismatch>([&] { read(s); }).what,
      Contains(
          "variable 'area' (dynamic) has dimensions (catchment), but dynamic variables need (time, "
          "catchment): is it a static attribute? (list it under static)"));
  s = test::drought_spec(shared_cube());
  s.netcdf.statics = {"precip"};
  CHECK_THAT(caught<data::DataMismatch>([&] { read(s); }).what,
             Contains("variable 'precip' (static) has dimensions (time, catchment), but static "
                      "variables need (catchment)"));
  test::TempDir d;
  auto path = test::hand_cube(d, "text.nc", 10, 2,
                              "nc.createVariable('label', 'S1', ('time', 'catchment'))");
  auto h = hand_spec(path);
  h.netcdf.targets = {"p"};
  h.netcdf.dynamic = {"label"};
  auto e = caught<data::DataMismatch>([&] { read(h); });
  CHECK_THAT(e.what, Contains(path + ": variable 'label' (dynamic) has type char, not numbers"));
}

TEST_CASE(
    "datacube: a missing value in an input is an error (exit 1) naming file, variable, time and "
    "catchment",
    "[data][netcdf]") {
  test::TempDir d;
  auto path = test::hand_cube(
      d, "holes.nc", 10, 3,
      std::string(kTarget) +
          "\nnc['p'][3, 1] = np.nan\nnc['p'][5, 2] = np.nan\n"
          "q = nc.createVariable('q', 'f4', ('time', 'catchment'), fill_value=-9999.0)\n"
          "q[:] = np.ones((T, C))\nq[7, 0] = np.ma.masked\n"
          "nc['a'][2] = np.nan");
  auto s = hand_spec(path);
  auto e = caught<RuntimeError>([&] { read(s); });
  CHECK(e.exit_code == 1);
  CHECK_THAT(
      e.what,
      Contains(path + ": variable 'p' (dynamic input) has 2 missing values (NaN or fill value), "
                      "the first at time index 3 (time = 3), catchment index 1 (catchment = 2)"));
  s.netcdf.dynamic = {"q"};
  CHECK_THAT(caught<RuntimeError>([&] { read(s); }).what,
             Contains("variable 'q' (dynamic input) has 1 missing value (NaN or fill value), the "
                      "first at time index 7"));
  s.netcdf.dynamic = {"y"};  // complete; the static has the hole
  CHECK_THAT(caught<RuntimeError>([&] { read(s); }).what,
             Contains("variable 'a' (static input) has 1 missing value (NaN or fill value), the "
                      "first at catchment "
                      "index 2 (catchment = 3)"));
}

TEST_CASE("datacube: derived variables are computed from the file's variables",
          "[data][netcdf][plugin]") {
  test::TempDir d;
  auto path = test::hand_cube(d, "derive.nc", 10, 3, kTarget);
  auto s = hand_spec(path);
  config::DerivedUse u;
  u.name = "rolling_mean";
  u.as = "p3";
  u.inputs = {{"x", "p"}};
  u.options = {{"window", "3"}};
  s.netcdf.derived = {u};
  auto raw = read(s);
  REQUIRE(raw.dynamic_names == std::vector<std::string>{"p", "p3"});
  const auto& p3 = raw.dynamic[1];
  for (int c = 0; c < 3; ++c) {
    CHECK(p3[static_cast<size_t>(0 * 3 + c)] == Approx(10 * c));        // t = 0: itself
    CHECK(p3[static_cast<size_t>(1 * 3 + c)] == Approx(0.5 + 10 * c));  // mean of t = 0, 1
    for (int t = 2; t < 10; ++t)
      CHECK(p3[static_cast<size_t>(t * 3 + c)] == Approx(t - 1 + 10 * c));
  }

  plugin::load_plugin(fixture("rogue"));
  u.name = u.as = "rogue_derived";
  s.netcdf.derived = {u};
  CHECK_THAT(caught<RuntimeError>([&] { read(s); }).what,
             Contains("derived variable 'rogue_derived' (plugin ") &&
                 Contains("failed: cannot derive without a snow map"));
  auto neg = test::hand_cube(d, "neg.nc", 10, 3,
                             std::string(kTarget) +
                                 "\nnc.createVariable('n', 'f4', ('time', "
                                 "'catchment'))[:] = t - 2");
  s = hand_spec(neg);
  u.name = u.as = "rogue_nan";
  u.inputs = {{"x", "n"}};
  u.options = {};
  s.netcdf.derived = {u};
  CHECK_THAT(caught<RuntimeError>([&] { read(s); }).what,
             Contains("variable 'rogue_nan' (computed by derived variable 'rogue_nan' (plugin ") &&
                 Contains("has 6 missing values (NaN or fill value), the first at time index 0"));
}

TEST_CASE("datacube: split by catchment: disjoint catchments, every window with a target",
          "[data][netcdf]") {
  auto s = test::drought_spec(shared_cube());
  auto raw = read(s);
  auto w = cut(s);
  CHECK(w.train_catchments.size() == 5);
  CHECK(w.val_catchments.size() == 2);
  CHECK(w.test_catchments.size() == 1);
  std::set<int64_t> all;
  for (const auto* part : {&w.train_catchments, &w.val_catchments, &w.test_catchments})
    for (auto c : *part) CHECK(all.insert(c).second);
  CHECK(all.size() == 8);
  auto check = [&](const std::vector<data::Window>& ws, const std::vector<int64_t>& cs) {
    std::set<int64_t> mine(cs.begin(), cs.end());
    int64_t expected = 0;  // windows with stride 1: times 29..399, less the missing targets
    for (auto c : cs)
      for (int t = 29; t < 400; ++t)
        expected += !std::isnan(raw.targets[0][static_cast<size_t>(t * 8 + c)]);
    CHECK(static_cast<int64_t>(ws.size()) == expected);
    for (const auto& x : ws) {
      CHECK(mine.count(x.catchment));
      CHECK(x.time >= 29);
      CHECK_FALSE(std::isnan(raw.targets[0][static_cast<size_t>(x.time * 8 + x.catchment)]));
    }
  };
  check(w.train, w.train_catchments);
  check(w.val, w.val_catchments);
  check(w.test, w.test_catchments);
  CHECK(cut(s, 2).train_catchments != w.train_catchments);  // the seed orders the catchments
  CHECK(cut(s, 1).train_catchments == w.train_catchments);
}

TEST_CASE("datacube: split by time: training first, then validation, then test; stride and lag",
          "[data][netcdf]") {
  auto s = test::drought_spec(shared_cube());
  s.netcdf.split_by = config::SplitBy::Time;
  s.split.validation = 40;
  s.split.test = 0.1;
  s.netcdf.stride = 7;
  s.netcdf.lag = 3;
  auto w = cut(s);
  CHECK(w.train_end == 320);
  CHECK(w.val_end == 360);
  CHECK(w.train_catchments.size() == 8);
  for (const auto& x : w.train) {
    CHECK(x.time < 320);
    CHECK((x.time - 32) % 7 == 0);  // the first window: inputs 0..29, target 3 steps later
  }
  for (const auto& x : w.val) CHECK((x.time >= 320 && x.time < 360));
  for (const auto& x : w.test) CHECK(x.time >= 360);
  CHECK(!w.val.empty());
  CHECK(!w.test.empty());
  s.split.validation = 0.5;
  s.split.test = 200;
  auto e = caught<data::DataMismatch>([&] { cut(s); });
  CHECK_THAT(e.what,
             Contains("the split holds out 400 of 400 time steps, leaving none for training"));
  s.split.validation = 0.1;
  s.split.test = 0;
  s.netcdf.seq_length = 400;
  CHECK_THAT(caught<data::DataMismatch>([&] { cut(s); }).what,
             Contains("the training split holds no window with a target (seq_length 400"));
}

TEST_CASE("datacube: normalisation uses the training part only, NaN-aware", "[data][netcdf]") {
  test::TempDir d;
  // Catchment 0 (validation: no shuffle, validation first) has huge values and a missing target.
  auto path = test::hand_cube(d, "norm.nc", 20, 4,
                              std::string(kTarget) +
                                  "\nnc['p'][:, 0] = 1e6\nnc['a'][0] = 1e6\n"
                                  "nc['y'][3, 2] = np.nan");
  auto s = hand_spec(path);
  s.shuffle = false;
  s.split.validation = 1;
  auto w = cut(s);
  REQUIRE(w.val_catchments == std::vector<int64_t>{0});
  // Training catchments 1..3: p = t + 10 c over t = 0..19.
  CHECK(w.cube.dynamic_scaling.mean[0] == Approx(9.5 + 20));
  double var = 0;
  for (int c = 1; c < 4; ++c)
    for (int t = 0; t < 20; ++t) var += std::pow(t + 10 * c - 29.5, 2);
  CHECK(w.cube.dynamic_scaling.std[0] == Approx(std::sqrt(var / 59)));
  CHECK(w.cube.static_scaling.mean[0] == Approx(2));  // a = 1, 2, 3
  // Target y = 2 p, its missing value left out of the statistics.
  double sum = 0;
  for (int c = 1; c < 4; ++c)
    for (int t = 0; t < 20; ++t) sum += (c == 2 && t == 3) ? 0 : 2 * (t + 10 * c);
  CHECK(w.cube.target_scaling.mean[0] == Approx(sum / 59));
  s.netcdf.normalize_inputs = s.netcdf.normalize_targets = config::NormalizeKind::None;
  auto raw = cut(s);
  CHECK(raw.cube.dynamic_scaling.mean[0] == 0);
  CHECK(raw.cube.dynamic_scaling.std[0] == 1);
}

TEST_CASE(
    "datacube: a window holds its inputs, the statics at every step, and the target lag steps "
    "later",
    "[data][netcdf]") {
  test::TempDir d;
  auto path = test::hand_cube(d, "copy.nc", 30, 4, kTarget);
  auto s = hand_spec(path);
  s.netcdf.lag = 2;
  s.netcdf.normalize_inputs = s.netcdf.normalize_targets = config::NormalizeKind::None;
  auto w = cut(s);
  std::vector<float> x(5 * 2), y(1);
  w.cube.copy({3, 20}, x.data(), y.data());
  for (int l = 0; l < 5; ++l) {
    CHECK(x[static_cast<size_t>(l * 2)] == 14 + l + 30);  // p at times 14..18 of catchment 3
    CHECK(x[static_cast<size_t>(l * 2 + 1)] == 3);        // a of catchment 3
  }
  CHECK(y[0] == 2 * (20 + 30));
}

TEST_CASE("datacube: a sampler that fails or picks windows outside its split is an error naming it",
          "[data][netcdf][plugin]") {
  plugin::load_plugin(fixture("rogue"));
  auto s = test::drought_spec(shared_cube());
  s.netcdf.sampler.name = "rogue_outside";
  auto e = caught<RuntimeError>([&] { cut(s); });
  CHECK_THAT(e.what, Contains("window sampler 'rogue_outside' (plugin ") &&
                         Contains("chose a window outside its split (catchment 8, time 399"));
  s.netcdf.sampler.name = "rogue_fails";
  CHECK_THAT(caught<RuntimeError>([&] { cut(s); }).what,
             Contains("failed: the gauge register is locked"));
}

TEST_CASE("datacube: the hython plugin's samplers and snowmelt", "[data][netcdf][plugin]") {
  plugin::load_plugin(std::getenv("ITWIN_TEST_PLUGIN"));
  auto s = test::drought_spec(shared_cube());
  s.netcdf.stride = 10;
  auto raw = read(s);
  auto regular = cut(s);
  s.netcdf.sampler = {"low_flow", {{"quantile", "0.2"}}};
  auto low = cut(s);
  // Every regular window stays; in addition, every window in a catchment's driest fifth.
  std::set<std::pair<int, int>> have;
  for (const auto& x : low.train) have.insert({x.catchment, x.time});
  for (const auto& x : regular.train) CHECK(have.count({x.catchment, x.time}));
  CHECK(low.train.size() > regular.train.size() + 5 * 371 * 0.2 * 0.6);
  for (int64_t c : low.train_catchments) {
    std::vector<float> v;
    for (int t = 0; t < 400; ++t)
      if (!std::isnan(raw.targets[0][static_cast<size_t>(t * 8 + c)]))
        v.push_back(raw.targets[0][static_cast<size_t>(t * 8 + c)]);
    std::sort(v.begin(), v.end());
    const float q = v[static_cast<size_t>(0.2 * static_cast<double>(v.size() - 1))];
    for (int t = 29; t < 400; ++t) {
      const float y = raw.targets[0][static_cast<size_t>(t * 8 + c)];
      if (!std::isnan(y) && y <= q) CHECK(have.count({static_cast<int>(c), t}));
    }
  }
  CHECK(low.val.size() == regular.val.size());  // evaluation windows do not depend on the sampler

  s.netcdf.sampler = {"random", {{"fraction", "0.25"}}};
  auto r1 = cut(s, 7), r2 = cut(s, 7), r3 = cut(s, 8);
  const double all = 5 * 371;
  CHECK(r1.train.size() > 0.2 * all);
  CHECK(r1.train.size() < 0.3 * all);
  CHECK(r1.train.size() == r2.train.size());
  CHECK(r1.train.front().time == r2.train.front().time);
  CHECK(r1.train.size() != r3.train.size());

  test::TempDir d;  // snow: 10 days of 1 mm at -1 degC, then +2 degC: melt 6, then the last 4
  auto path = test::hand_cube(d, "snow.nc", 14, 1,
                              std::string(kTarget) +
                                  "\nnc.createVariable('temp', 'f4', ('time', 'catchment'))[:] = "
                                  "np.where(t < 10, -1.0, 2.0)\n"
                                  "nc.createVariable('precip', 'f4', ('time', 'catchment'))[:] = "
                                  "np.where(t < 10, 1.0, 0.0)");
  auto h = hand_spec(path);
  config::DerivedUse u;
  u.name = u.as = "snowmelt";
  u.inputs = {{"temp", "temp"}, {"precip", "precip"}};
  u.options = {{"threshold", "0.0"}, {"ddf", "3.0"}};
  h.netcdf.derived = {u};
  auto melt = read(h).dynamic[1];
  for (int t = 0; t < 10; ++t) CHECK(melt[static_cast<size_t>(t)] == 0);
  CHECK(melt[10] == Approx(6));
  CHECK(melt[11] == Approx(4));
  CHECK(melt[12] == 0);
}
