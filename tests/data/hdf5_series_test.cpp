// `format: hdf5` with a series per sample as the target (the Virgo use case):
// generate.py --small data read by name, `aux` [N, C, T] as samples and
// `coupled` [N, T] as a per-step regression target, rows read in chunks, and
// a NaN in the inputs named before training starts.
#include "itwin/data/dataset.hpp"
#include "itwin/data/hdf5.hpp"
#include "itwin/util/error.hpp"
#undef CHECK

#include <catch2/catch.hpp>
#include <cstring>

#include "../helpers.hpp"

using namespace itwin;
using Catch::Matchers::Contains;

namespace {

std::string virgo_small(const test::TempDir& d) {
  std::string out = d.path() + "/virgo.h5";
  auto r = test::run_shell("/usr/bin/python3 " + test::source_root() +
                           "/use-cases/virgo/generate.py --small --out " + out);
  INFO(r.out);
  REQUIRE(r.exit_code == 0);
  return out;
}

config::DatasetSpec spec(const std::string& path) {
  config::DatasetSpec s;
  s.format = config::DataFormat::Hdf5;
  s.path = path;
  s.x_key = "aux";
  s.y_keys = {"coupled"};
  s.split.validation = 0;
  s.split.test = 0;
  s.shuffle = false;  // the training split is the file, in order
  return s;
}

torch::Tensor as_tensor(const data::Array& a) { return data::to_tensor(a).to(torch::kFloat32); }

}  // namespace

TEST_CASE("hdf5 series: aux [N, C, T] as samples, coupled [N, T] as the per-step target",
          "[data][hdf5][virgo]") {
  test::TempDir d;
  const auto path = virgo_small(d);
  auto s = data::load_dataset(spec(path), 1, "data");
  CHECK(s.sample_shape == std::vector<int64_t>{4, 1000});
  CHECK_FALSE(s.classification);  // float targets: regression without `task:`
  CHECK(s.num_targets == 1000);
  CHECK_THAT(s.description, Contains("aux [8, 4, 1000] float32") && Contains("y: coupled"));
  const auto& train = *s.train.tensors();
  REQUIRE(train.y.sizes() == std::vector<int64_t>{8, 1000});
  // The values as stored, row for row.
  data::Hdf5File f(path);
  CHECK(torch::equal(train.y, as_tensor(f.read("coupled", 1 << 30))));
  CHECK(torch::equal(train.x, as_tensor(f.read("aux", 1 << 30))));
  // Rows [2, 5) read alone are those rows of the whole: what a chunked reader reads.
  auto rows = f.read_rows("aux", 2, 5, 1 << 30);
  CHECK(rows.shape == std::vector<int64_t>{3, 4, 1000});
  CHECK(torch::equal(as_tensor(rows), train.x.slice(0, 2, 5)));
  // The strain is the coupled noise plus the detector's own (RMS 0.5): much smaller here.
  auto strain = as_tensor(f.read("strain", 1 << 30));
  CHECK((strain - train.y).std().item<double>() == Approx(0.5).epsilon(0.1));
}

TEST_CASE("hdf5 series: NaN in inputs, missing and misshapen datasets are named",
          "[data][hdf5][virgo]") {
  test::TempDir d;
  const auto path = virgo_small(d);
  auto py =
      test::run_shell("/usr/bin/python3 -c \"import h5py, numpy as np; f = h5py.File('" + path +
                      "', 'a'); f['aux'][3, 2, 5] = np.inf; f['coupled'][1, 0] = np.nan\"");
  INFO(py.out);
  REQUIRE(py.exit_code == 0);
  auto s = spec(path);
  try {
    data::load_dataset(s, 1, "data");
    FAIL("a NaN in the target was read");
  } catch (const RuntimeError& e) {
    CHECK(e.exit_code() == 1);
    CHECK_THAT(e.what(), Contains("step 'data' (hdf5 " + path + "): " + path +
                                  ": dataset 'coupled' has 1 NaN or infinite value, the first in "
                                  "sample 1 (flat index 1000)"));
  }
  s.y_keys = {"strain"};
  CHECK_THROWS_WITH(data::load_dataset(s, 1, "data"),
                    Contains(path + ": dataset 'aux' has 1 NaN or infinite value, the first in "
                                    "sample 3 (flat index 14005)"));
  s.x_key = "auxx";
  try {
    data::load_dataset(s, 1, "data");
    FAIL("a missing dataset was read");
  } catch (const ConfigError& e) {  // the config names what the file lacks: exit 2
    CHECK(e.exit_code() == 2);
    CHECK_THAT(e.what(), Contains(path + ": no dataset 'auxx' (did you mean 'aux'?); datasets: "
                                         "aux, coupled, strain"));
  }
  s.x_key = "strain";
  s.y_keys = {"aux"};
  CHECK_THROWS_WITH(data::load_dataset(s, 1, "data"),
                    Contains("dataset 'aux' has shape [8, 4, 1000]; as y it must be [8] or [8, "
                             "k], one row per sample of 'strain'"));
}
