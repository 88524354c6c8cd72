// `format: hdf5` data sets: 3DGAN showers from generate.py as samples and conditions.
#include "itwin/data/dataset.hpp"
#include "itwin/data/hdf5_write.hpp"
#include "itwin/util/error.hpp"
#undef CHECK

#include <catch2/catch.hpp>

#include "../helpers.hpp"

using namespace itwin;
using Catch::Matchers::Contains;

namespace {

std::string showers(const test::TempDir& d, const std::string& args) {
  std::string out = d.path() + "/showers.h5";
  auto r = test::run_shell("/usr/bin/python3 " + test::source_root() +
                           "/use-cases/3dgan/generate.py --out " + out + " " + args);
  INFO(r.out);
  REQUIRE(r.exit_code == 0);
  return out;
}

config::DatasetSpec spec(const std::string& path, std::vector<std::string> y) {
  config::DatasetSpec s;
  s.format = config::DataFormat::Hdf5;
  s.path = path;
  s.x_key = "ECAL";
  s.y_keys = std::move(y);
  s.split.validation = 10;
  return s;
}

}  // namespace

TEST_CASE("hdf5 dataset: showers and their energy and angle as conditions", "[data][hdf5]") {
  test::TempDir d;
  auto path = showers(d, "--samples 40 --grid 25,25,25 --angle");  // the whole shower: sum(x) / E
                                                                   // is the sampling fraction
  auto s = data::load_dataset(spec(path, {"energy", "theta"}), 1, "data");
  CHECK(s.sample_shape == std::vector<int64_t>{25, 25, 25});
  CHECK(s.train.size() == 30);
  CHECK(s.val.size() == 10);
  CHECK_FALSE(s.classification);
  CHECK(s.num_targets == 2);
  const auto& train = *s.train.tensors();
  const auto& val = *s.val.tensors();
  CHECK(train.y.sizes() == std::vector<int64_t>{30, 2});
  // Energies in [2, 500] GeV, angles in [60, 120] degrees; the showers hold ~2 % of the energy.
  auto e = torch::cat({train.y.select(1, 0), val.y.select(1, 0)});
  CHECK(e.min().item<double>() >= 2);
  CHECK(e.max().item<double>() <= 500);
  CHECK(train.y.select(1, 1).min().item<double>() >= 1.04);
  auto ratio = (train.x.flatten(1).sum(1) / train.y.select(1, 0)).mean().item<double>();
  CHECK(ratio == Approx(0.0196).epsilon(0.15));
  // No y: an unconditional data set, [N, 0].
  auto u = data::load_dataset(spec(path, {}), 1, "data");
  CHECK(u.num_targets == 0);
  CHECK(u.train.tensors()->y.sizes() == std::vector<int64_t>{30, 0});
}

TEST_CASE("hdf5 dataset: missing and misshapen datasets are named", "[data][hdf5]") {
  test::TempDir d;
  auto path = showers(d, "--samples 12 --grid 4,4,4");
  CHECK_THROWS_WITH(data::load_dataset(spec(path, {"energi"}), 1, "data"),
                    Contains("no dataset 'energi'") && Contains("did you mean 'energy'"));
  auto bad = spec(path, {"energy"});
  bad.x_key = "ECL";
  CHECK_THROWS_WITH(data::load_dataset(bad, 1, "data"), Contains("ECAL"));
  data::Array x, y;
  x.shape = {5, 3};
  x.bytes.resize(60);
  y.shape = {4};
  y.bytes.resize(16);
  const std::string odd = d.path() + "/odd.h5";
  data::write_hdf5(odd, {{"x", x, {}}, {"e", y, {}}});
  auto s = spec(odd, {"e"});
  s.x_key = "x";
  CHECK_THROWS_WITH(data::load_dataset(s, 1, "data"),
                    Contains("step 'data' (hdf5 " + odd +
                             "): dataset 'e' has shape [4]; as y it must be [5] or [5, k]"));
}
