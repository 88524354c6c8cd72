// The HDF5 writer: what it writes reads back with the reader and with h5py,
// and a failed write leaves nothing behind.
#include "itwin/data/hdf5_write.hpp"

#include <catch2/catch.hpp>
#include <cstring>
#include <filesystem>

#include "../helpers.hpp"
#include "itwin/data/hdf5.hpp"
#include "itwin/util/error.hpp"

using namespace itwin;
using Catch::Matchers::Contains;

namespace {

data::Array floats(std::vector<int64_t> shape, float start) {
  data::Array a;
  a.dtype = data::DType::F32;
  a.shape = std::move(shape);
  a.bytes.resize(static_cast<size_t>(a.numel()) * 4);
  for (int64_t i = 0; i < a.numel(); ++i) {
    float v = start + static_cast<float>(i);
    std::memcpy(a.bytes.data() + i * 4, &v, 4);
  }
  return a;
}

}  // namespace

TEST_CASE("hdf5 write: datasets and attributes read back with the reader and with h5py",
          "[data][hdf5]") {
  test::TempDir d;
  const std::string path = d.path() + "/sub/out.h5";
  data::write_hdf5(path,
                   {{"ECAL", floats({3, 2, 2, 4}, 0.5f), {{"units", {}, {"GeV"}}}},
                    {"energy", floats({3}, 10.0f), {}}},
                   {{"source", {}, {"itwin generate"}}, {"seed", {7}, {}}});
  data::Hdf5File f(path);
  const auto& ecal = f.dataset("ECAL");
  CHECK(ecal.shape == std::vector<int64_t>{3, 2, 2, 4});
  CHECK(ecal.type == "float32");
  CHECK_FALSE(ecal.chunks.empty());  // chunked by rows and compressed, as generate.py writes
  CHECK(data::find_attribute(ecal.attributes, "units")->text() == "GeV");
  CHECK(*data::find_attribute(f.attributes(), "seed")->number() == 7);
  auto rows = f.read_rows("ECAL", 1, 2, 1 << 20);
  CHECK(rows.at(0) == 16.5);  // row 1 starts at element 16
  CHECK(f.read("energy", 1 << 20).at(2) == 12.0);
  auto py = test::run_shell("/usr/bin/python3 -c \"import h5py; f = h5py.File('" + path +
                            "'); print(f['ECAL'].shape, float(f['ECAL'][2].sum()), "
                            "f.attrs['source'], list(f['energy']))\"");
  INFO(py.out);
  CHECK(py.exit_code == 0);
  // Row 2 holds 32.5 .. 47.5: sum 16 * 40 = 640.
  CHECK_THAT(py.out, Contains("(3, 2, 2, 4) 640.0 itwin generate [10.0, 11.0, 12.0]"));
  CHECK(std::filesystem::directory_iterator(d.path() + "/sub") !=
        std::filesystem::directory_iterator());
  int files = 0;
  for (const auto& e : std::filesystem::directory_iterator(d.path() + "/sub"))
    files += e.is_regular_file();
  CHECK(files == 1);  // no temp file left
}

TEST_CASE("hdf5 write: a failed write names the file and leaves nothing", "[data][hdf5]") {
  test::TempDir d;
  data::Array bad = floats({2, 2}, 0);
  bad.bytes.resize(3);  // shape and bytes disagree
  CHECK_THROWS_WITH(data::write_hdf5(d.path() + "/x.h5", {{"x", bad, {}}}),
                    Contains("x.h5: dataset 'x': holds 3 bytes"));
  CHECK(std::filesystem::is_empty(d.path()));
  CHECK_THROWS_AS(
      data::write_hdf5(d.path() + "/x.h5", {{"x", floats({2}, 0), {}}, {"x", floats({2}, 0), {}}}),
      RuntimeError);  // a second dataset of the same name: HDF5's error
  CHECK(std::filesystem::is_empty(d.path()));
}
