// dataset_cache_key: a forked trial takes decoded data from its zygote only
// when everything that shapes the data is the same, the files included.
#include "itwin/train/data_cache.hpp"

#include <catch2/catch.hpp>
#include <filesystem>
#include <functional>
#include <utility>
#include <vector>

#include "../helpers.hpp"

using itwin::config::DataFormat;
using itwin::config::DatasetSpec;
using itwin::train::dataset_cache_key;

TEST_CASE("data cache: the key changes with every field that shapes the data", "[data]") {
  itwin::test::TempDir d;
  DatasetSpec base;
  base.format = DataFormat::Csv;
  base.path = d.write("a.csv", "a,b,y\n1,2,0\n3,4,1\n");
  base.targets = {"y"};
  const std::string key = dataset_cache_key(base, 7);
  REQUIRE_FALSE(key.empty());
  CHECK(dataset_cache_key(base, 7) == key);
  CHECK(dataset_cache_key(base, 8) != key);  // the seed shuffles and splits
  const std::vector<std::pair<const char*, std::function<void(DatasetSpec&)>>> changes = {
      {"path", [&](DatasetSpec& s) { s.path = d.write("b.csv", "a,b,y\n1,2,0\n3,4,1\n"); }},
      {"targets", [](DatasetSpec& s) { s.targets = {"b"}; }},
      {"features", [](DatasetSpec& s) { s.features = {"a"}; }},
      {"delimiter", [](DatasetSpec& s) { s.delimiter = ";"; }},
      {"task", [](DatasetSpec& s) { s.task = itwin::config::TaskKind::Regression; }},
      {"split", [](DatasetSpec& s) { s.split.validation = 0.2; }},
      {"test split", [](DatasetSpec& s) { s.split.test = 0.1; }},
      {"shuffle", [](DatasetSpec& s) { s.shuffle = false; }},
      {"limit", [](DatasetSpec& s) { s.limit = 1; }},
      {"normalize", [](DatasetSpec& s) { s.normalize = itwin::config::NormalizeKind::Standard; }},
      {"mean", [](DatasetSpec& s) { s.mean = {0.5}; }},
      {"std", [](DatasetSpec& s) { s.std = {2.0}; }},
      {"npz keys", [](DatasetSpec& s) { s.x_key = "features"; }},
      {"labels", [](DatasetSpec& s) { s.labels = "y.npy"; }},
  };
  for (const auto& [what, change] : changes) {
    DatasetSpec s = base;
    change(s);
    INFO(what);
    CHECK(dataset_cache_key(s, 7) != key);
  }
  // The same spec after the file changed on disk: not the cached copy.
  d.write("a.csv", "a,b,y\n1,2,0\n3,4,1\n5,6,0\n");
  CHECK(dataset_cache_key(base, 7) != key);
  // Formats the cache does not hold.
  for (DataFormat f : {DataFormat::Synthetic, DataFormat::Hdf5, DataFormat::Netcdf}) {
    DatasetSpec s = base;
    s.format = f;
    CHECK(dataset_cache_key(s, 7).empty());
  }
}
