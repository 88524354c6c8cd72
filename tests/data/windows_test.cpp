// `format: netcdf` through load_dataset: each split a Samples whose batches
// are windows cut from the normalised cube, checked against the file read
// independently here.
#include "itwin/data/dataset.hpp"
#undef CHECK  // glog's, from LibTorch

#include <catch2/catch.hpp>
#include <cmath>
#include <set>

#include "../helpers.hpp"
#include "drought_fixture.hpp"
#include "itwin/data/netcdf.hpp"
#include "itwin/util/error.hpp"

using namespace itwin;

namespace {

const std::string& shared_cube() {
  static test::TempDir dir;
  static const std::string path = test::drought_cube(dir);
  return path;
}

std::vector<float> variable(const std::string& path, const std::string& name) {
  data::NetcdfFile f(path);
  auto r = f.read(name, size_t(1) << 30);
  std::vector<float> v;
  for (int64_t i = 0; i < r.array.numel(); ++i) v.push_back(static_cast<float>(r.array.at(i)));
  return v;
}

// Mean and sample std over catchments [c0, c1) of a [400, 8] variable, NaN left out.
std::pair<double, double> stats(const std::vector<float>& v, int c0, int c1) {
  double s = 0, s2 = 0;
  int n = 0;
  for (int t = 0; t < 400; ++t)
    for (int c = c0; c < c1; ++c)
      if (!std::isnan(v[static_cast<size_t>(t * 8 + c)]))
        s += v[static_cast<size_t>(t * 8 + c)], ++n;
  const double m = s / n;
  for (int t = 0; t < 400; ++t)
    for (int c = c0; c < c1; ++c)
      if (!std::isnan(v[static_cast<size_t>(t * 8 + c)]))
        s2 += std::pow(v[static_cast<size_t>(t * 8 + c)] - m, 2);
  return {m, std::sqrt(s2 / (n - 1))};
}

}  // namespace

TEST_CASE("windows: splits of [seq_length, features] windows, batches cut from the normalised cube",
          "[data][netcdf]") {
  auto spec = test::drought_spec(shared_cube());
  spec.shuffle = false;  // validation: catchments 0, 1; test: 2; training: 3..7
  auto s = data::load_dataset(spec, 1, "data");
  CHECK_FALSE(s.classification);
  CHECK(s.num_targets == 1);
  CHECK(s.sample_shape == std::vector<int64_t>{30, 5});
  CHECK_FALSE(s.shuffle);
  CHECK(s.train.tensors() == nullptr);  // not held as tensors: cut when gathered

  auto q = variable(shared_cube(), "discharge");
  auto precip = variable(shared_cube(), "precip");
  auto area = variable(shared_cube(), "area");
  int64_t expected = 0;
  for (int c = 3; c < 8; ++c)
    for (int t = 29; t < 400; ++t) expected += !std::isnan(q[static_cast<size_t>(t * 8 + c)]);
  CHECK(s.train.size() == expected);

  // The whole training split as one batch, in order: catchment 3 first, times 29, 30, ...
  std::vector<int64_t> order;
  for (int64_t i = 0; i < s.train.size(); ++i) order.push_back(i);
  auto b = s.train.gather(order, 0, order.size());
  REQUIRE(b.x.sizes() == std::vector<int64_t>{expected, 30, 5});
  REQUIRE(b.y.sizes() == std::vector<int64_t>{expected, 1});
  auto [pm, ps] = stats(precip, 3, 8);
  auto [qm, qs] = stats(q, 3, 8);
  double am = 0, av = 0;
  for (int c = 3; c < 8; ++c) am += area[static_cast<size_t>(c)] / 5.0;
  for (int c = 3; c < 8; ++c) av += std::pow(area[static_cast<size_t>(c)] - am, 2) / 4.0;
  int first_t = 29;
  while (std::isnan(q[static_cast<size_t>(first_t * 8 + 3)])) ++first_t;
  for (int l = 0; l < 30; ++l) {
    const int t = first_t - 29 + l;
    CHECK(b.x[0][l][0].item<float>() ==
          Approx((precip[static_cast<size_t>(t * 8 + 3)] - pm) / ps).margin(1e-4));
    CHECK(b.x[0][l][3].item<float>() == b.x[0][0][3].item<float>());  // the static, at every step
  }
  CHECK(b.x[0][0][3].item<float>() == Approx((area[3] - am) / std::sqrt(av)).margin(1e-4));
  CHECK(b.y[0][0].item<float>() ==
        Approx((q[static_cast<size_t>(first_t * 8 + 3)] - qm) / qs).margin(1e-4));
  CHECK(b.x.mean().item<float>() == Approx(0.0).margin(0.05));  // the training part is standardised
  CHECK_FALSE(b.y.isnan().any().item<bool>());

  // Evaluation orders cover each window once over the ranks.
  std::set<int64_t> seen;
  for (int r = 0; r < 3; ++r)
    for (auto i : s.val.samples().eval_order(r, 3)) CHECK(seen.insert(i).second);
  CHECK(static_cast<int64_t>(seen.size()) == s.val.size());
  CHECK(s.test.size() > 0);
}

TEST_CASE("windows: limit keeps a seeded subset of the training windows", "[data][netcdf]") {
  auto spec = test::drought_spec(shared_cube());
  spec.limit = 100;
  auto a = data::load_dataset(spec, 1, "data");
  auto b = data::load_dataset(spec, 1, "data");
  CHECK(a.train.size() == 100);
  auto ha = a.train.head(100), hb = b.train.head(100);
  CHECK(torch::equal(ha.x, hb.x));
  CHECK(a.val.size() > 100);  // evaluation is not limited
}

TEST_CASE("windows: a variable the file lacks is a DataMismatch (exit 2)", "[data][netcdf]") {
  auto spec = test::drought_spec(shared_cube());
  spec.netcdf.targets = {"dischrge"};
  try {
    data::load_dataset(spec, 1, "data");
    FAIL("no error");
  } catch (const ConfigError& e) {
    CHECK(e.exit_code() == 2);
    CHECK_THAT(e.what(), Catch::Matchers::Contains(
                             "has no variable 'dischrge' (target) (did you mean 'discharge'?)"));
  }
}
