// HDF5 reader against files written by the Virgo and 3DGAN generators (h5py)
// and by the HDF5 C API here, good and bad.
#include "itwin/data/hdf5.hpp"

#include <hdf5.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

#include "../helpers.hpp"
#include "itwin/util/error.hpp"

using namespace itwin;
using Catch::Matchers::Contains;
using data::DType;

namespace {

constexpr size_t kBudget = size_t(1) << 30;

std::string generate(const test::TempDir& d, const std::string& use_case, const std::string& name,
                     const std::string& args) {
  std::string out = d.path() + "/" + name;
  auto r = test::run_shell("/usr/bin/python3 " + test::source_root() + "/use-cases/" + use_case +
                           "/generate.py --out " + out + " " + args);
  INFO(r.out);
  REQUIRE(r.exit_code == 0);
  return out;
}

/// Generator outputs that several tests only read, made once per run.
const std::string& shared(const std::string& use_case, const std::string& name,
                          const std::string& args) {
  static test::TempDir dir;
  static std::map<std::string, std::string> made;
  auto it = made.find(name);
  if (it == made.end()) it = made.emplace(name, generate(dir, use_case, name, args)).first;
  return it->second;
}
const std::string& gan_small() { return shared("3dgan", "small.h5", "--small --angle"); }
const std::string& gan_chunks() {
  return shared("3dgan", "chunks.h5", "--samples 40 --grid 8,8,6");
}

/// h5py's float64 sum of f[name][begin:end].
double python_sum(const std::string& path, const std::string& name, int begin, int end) {
  auto r =
      test::run_shell("/usr/bin/python3 -c \"import h5py, numpy as np; f = h5py.File('" + path +
                      "', 'r'); print(repr(float(np.sum(f['" + name + "'][" +
                      std::to_string(begin) + ":" + std::to_string(end) + "], dtype='f8'))))\"");
  INFO(r.out);
  REQUIRE(r.exit_code == 0);
  return std::stod(r.out);
}

double sum(const data::Array& a) {
  double s = 0;
  for (int64_t i = 0; i < a.numel(); ++i) s += a.at(i);
  return s;
}

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void put(hid_t loc, const char* name, hid_t file_type, hid_t mem_type, std::vector<hsize_t> dims,
         const void* values, hid_t dcpl = H5P_DEFAULT) {
  hid_t space = dims.empty()
                    ? H5Screate(H5S_SCALAR)
                    : H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr);
  hid_t ds = H5Dcreate2(loc, name, file_type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
  REQUIRE(ds >= 0);
  REQUIRE(H5Dwrite(ds, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, values) >= 0);
  H5Dclose(ds);
  H5Sclose(space);
}

void put_attr(hid_t loc, const char* name, hid_t type, hsize_t n, const void* values) {
  hid_t space = n == 1 ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, &n, nullptr);
  hid_t a = H5Acreate2(loc, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
  REQUIRE(a >= 0);
  REQUIRE(H5Awrite(a, type, values) >= 0);
  H5Aclose(a);
  H5Sclose(space);
}

/// One dataset per type case, a nested group, a scalar, attributes of each kind.
std::string hand_made(const test::TempDir& d) {
  std::string p = d.path() + "/hand.h5";
  hid_t f = H5Fcreate(p.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  REQUIRE(f >= 0);
  int16_t i16[] = {-3, -2, -1, 0, 1, 2};
  put(f, "i16", H5T_STD_I16BE, H5T_NATIVE_INT16, {2, 3}, i16);  // big-endian on disk
  uint16_t u16[] = {0, 1000, 65535};
  put(f, "u16", H5T_STD_U16LE, H5T_NATIVE_UINT16, {3}, u16);
  uint32_t u32[] = {4000000000u, 1};
  put(f, "u32", H5T_STD_U32LE, H5T_NATIVE_UINT32, {2}, u32);
  double f64[] = {0.5, -1.5, 1e300, 4};
  put(f, "f64", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, {2, 2}, f64);
  hid_t boolean = H5Tenum_create(H5T_NATIVE_SCHAR);  // as h5py writes numpy bool
  signed char no = 0, yes = 1;
  H5Tenum_insert(boolean, "FALSE", &no);
  H5Tenum_insert(boolean, "TRUE", &yes);
  signed char mask[] = {1, 0, 1};
  put(f, "mask", boolean, boolean, {3}, mask);
  H5Tclose(boolean);
  hid_t str = H5Tcopy(H5T_C_S1);
  H5Tset_size(str, 2);
  put(f, "names", str, str, {2}, "abcd");
  hid_t rec = H5Tcreate(H5T_COMPOUND, 16);
  H5Tinsert(rec, "a", 0, H5T_NATIVE_INT);
  H5Tinsert(rec, "b", 8, H5T_NATIVE_DOUBLE);
  char rec_bytes[16] = {};
  put(f, "rec", rec, rec, {1}, rec_bytes);
  H5Tclose(rec);
  double scalar = 2.5;
  put(f, "scalar", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, {}, &scalar);
  hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
  H5Pset_create_intermediate_group(lcpl, 1);
  hid_t g = H5Gcreate2(f, "g/sub", lcpl, H5P_DEFAULT, H5P_DEFAULT);
  hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
  hsize_t chunk = 2;
  H5Pset_chunk(dcpl, 1, &chunk);
  H5Pset_deflate(dcpl, 6);
  float x[] = {1, 2, 3, 4, 5};
  put(g, "x", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, {5}, x, dcpl);
  H5Pclose(dcpl);
  H5Gclose(g);
  H5Pclose(lcpl);
  double rate = 500;
  put_attr(f, "sample_rate", H5T_NATIVE_DOUBLE, 1, &rate);
  double gains[] = {0.5, 1, 2};
  put_attr(f, "gains", H5T_NATIVE_DOUBLE, 3, gains);
  hid_t vstr = H5Tcopy(H5T_C_S1);
  H5Tset_size(vstr, H5T_VARIABLE);
  const char* note = "hello";
  put_attr(f, "note", vstr, 1, &note);
  H5Tclose(vstr);
  put_attr(f, "fixed", str, 1, "ab");
  H5Tclose(str);
  H5Fclose(f);
  return p;
}

}  // namespace

TEST_CASE("hdf5: the Virgo generator's file, read as h5py reads it", "[data][hdf5]") {
  const std::string& p = shared("virgo", "virgo.h5", "--small --seed 2");
  data::Hdf5File f(p);
  REQUIRE(f.datasets().size() == 3);
  CHECK(f.datasets()[0].name == "aux");  // sorted by name
  const auto& aux = f.dataset("aux");
  CHECK(aux.shape == std::vector<int64_t>{8, 4, 1000});
  CHECK(aux.dtype == DType::F32);
  CHECK(aux.chunks == std::vector<int64_t>{8, 4, 1000});
  CHECK(aux.describe() == "aux [8, 4, 1000] float32 chunks [8, 4, 1000]");
  const auto* names = data::find_attribute(aux.attributes, "channel_names");
  REQUIRE(names);
  CHECK(names->texts == std::vector<std::string>{"AUX_0", "AUX_1", "AUX_2", "AUX_3"});
  REQUIRE(data::find_attribute(f.attributes(), "sample_rate"));
  CHECK(data::find_attribute(f.attributes(), "sample_rate")->number() == 500.0);
  CHECK(data::find_attribute(f.attributes(), "seed")->number() == 2.0);
  auto strain = f.read("/strain", kBudget);
  CHECK(strain.shape == std::vector<int64_t>{8, 1000});
  CHECK(sum(strain) == Approx(python_sum(p, "strain", 0, 8)).epsilon(1e-6));
  auto rows = f.read_rows("aux", 2, 5, kBudget);
  CHECK(rows.shape == std::vector<int64_t>{3, 4, 1000});
  CHECK(sum(rows) == Approx(python_sum(p, "aux", 2, 5)).epsilon(1e-6));
}

TEST_CASE("hdf5: the 3DGAN generator's showers, compressed chunks across row ranges",
          "[data][hdf5]") {
  data::Hdf5File s(gan_small());
  const auto& ecal = s.dataset("ECAL");
  CHECK(ecal.shape == std::vector<int64_t>{16, 25, 25, 25});
  CHECK(ecal.describe() == "ECAL [16, 25, 25, 25] float32 chunks [16, 25, 25, 25] shuffle+deflate");
  auto e = s.read("energy", kBudget);
  auto theta = s.read("theta", kBudget);
  for (int64_t i = 0; i < 16; ++i) {
    CHECK(e.at(i) >= 2.0);
    CHECK(e.at(i) <= 500.0);
    CHECK(theta.at(i) == Approx(M_PI / 2).margin(M_PI / 6 + 1e-6));
  }
  auto showers = s.read("ECAL", kBudget);
  int64_t nonzero = 0;
  for (int64_t i = 0; i < showers.numel(); ++i) nonzero += showers.at(i) > 0;
  CHECK(nonzero > showers.numel() / 1000);  // sparse, not empty
  CHECK(nonzero < showers.numel() / 2);

  const std::string& p = gan_chunks();
  data::Hdf5File f(p);
  CHECK(f.dataset("ECAL").chunks == std::vector<int64_t>{16, 8, 8, 6});
  CHECK_FALSE(f.find("theta"));
  auto all = f.read("ECAL", kBudget);
  CHECK(sum(f.read_rows("ECAL", 10, 35, kBudget)) ==
        Approx(python_sum(p, "ECAL", 10, 35)).epsilon(1e-6));
  // A stream of row ranges that straddle chunks adds up to the whole.
  double streamed = 0;
  for (int64_t b = 0; b < 40; b += 7)
    streamed += sum(f.read_rows("ECAL", b, std::min<int64_t>(b + 7, 40), kBudget));
  CHECK(streamed == Approx(sum(all)).epsilon(1e-9));
  auto slab = f.read("ECAL", {3, 2, 0, 1}, {2, 1, 8, 2}, kBudget);
  CHECK(slab.shape == std::vector<int64_t>{2, 1, 8, 2});
  CHECK(slab.at(8 * 2 + 3 * 2 + 1) == all.at(((4 * 8 + 2) * 8 + 3) * 6 + 2));
}

TEST_CASE("hdf5: types, groups, scalars and attributes (file from the C API)", "[data][hdf5]") {
  test::TempDir d;
  data::Hdf5File f(hand_made(d));
  std::vector<std::string> names;
  for (const auto& ds : f.datasets()) names.push_back(ds.name);
  CHECK(names == std::vector<std::string>{"f64", "g/sub/x", "i16", "mask", "names", "rec", "scalar",
                                          "u16", "u32"});
  auto i16 = f.read("i16", kBudget);
  CHECK(i16.dtype == DType::I16);
  CHECK(i16.at(0) == -3);
  CHECK(i16.at(5) == 2);
  CHECK(f.dataset("u16").type == "uint16");
  auto u16 = f.read("u16", kBudget);
  CHECK(u16.dtype == DType::I32);
  CHECK(u16.at(2) == 65535);
  CHECK(f.read("u32", kBudget).at(0) == 4000000000.0);
  CHECK(f.read("f64", kBudget).at(2) == 1e300);
  auto mask = f.read("mask", kBudget);
  CHECK(f.dataset("mask").type == "bool");
  CHECK(mask.dtype == DType::Bool);
  CHECK(mask.at(0) == 1);
  CHECK(mask.at(1) == 0);
  auto x = f.read_rows("/g/sub/x", 1, 4, kBudget);
  CHECK(x.at(0) == 2);
  CHECK(x.at(2) == 4);
  CHECK(f.dataset("g/sub/x").filters == std::vector<std::string>{"deflate"});
  auto scalar = f.read("scalar", kBudget);
  CHECK(scalar.shape.empty());
  CHECK(scalar.at(0) == 2.5);
  CHECK(data::find_attribute(f.attributes(), "gains")->numbers == std::vector<double>{0.5, 1, 2});
  CHECK(data::find_attribute(f.attributes(), "gains")->str() == "[0.5, 1, 2]");
  CHECK(data::find_attribute(f.attributes(), "note")->text() == "hello");
  CHECK(data::find_attribute(f.attributes(), "fixed")->text() == "ab");
  CHECK_THROWS_WITH(f.read("names", kBudget),
                    Contains("hand.h5: dataset 'names': has type string, not a number"));
  CHECK_THROWS_WITH(f.read("rec", kBudget),
                    Contains("dataset 'rec': has type compound, not a number"));
  CHECK_THROWS_WITH(f.read_rows("scalar", 0, 1, kBudget),
                    Contains("dataset 'scalar': is a scalar; it has no rows"));
}

TEST_CASE("hdf5: wrong requests are errors that name the file and the dataset", "[data][hdf5]") {
  data::Hdf5File f(gan_small());
  try {
    f.dataset("ECAl");
    FAIL("no error");
  } catch (const RuntimeError& e) {
    CHECK(e.exit_code() == 1);
    CHECK_THAT(
        e.what(),
        Contains("small.h5: no dataset 'ECAl' (did you mean 'ECAL'?); datasets: ECAL, energy"));
  }
  CHECK_THROWS_WITH(
      f.read("ECAL", 500000),
      Contains("small.h5: dataset 'ECAL': reading [16, 25, 25, 25] float32 needs 976.6 KiB, "
               "more than the memory budget of 488.3 KiB (read fewer rows at a time)"));
  CHECK(f.read_rows("ECAL", 0, 8, 500000).shape == std::vector<int64_t>{8, 25, 25, 25});
  CHECK_THROWS_WITH(f.read_rows("energy", 3, 2, kBudget),
                    Contains("dataset 'energy': rows [3, 2) are outside [0, 16)"));
  CHECK_THROWS_WITH(
      f.read("ECAL", {0, 0, 0, 0}, {1, 26, 1, 1}, kBudget),
      Contains(
          "dataset 'ECAL': hyperslab start [0, 0, 0, 0] count [1, 26, 1, 1] is outside the shape "
          "[16, 25, 25, 25] in dimension 1"));
  CHECK_THROWS_WITH(f.read("energy", {0, 0}, {1, 1}, kBudget),
                    Contains("dataset 'energy': has 1 dimensions [16], but the hyperslab start [0, "
                             "0] count [1, 1] has 2"));
}

TEST_CASE("hdf5: unreadable, foreign, truncated and corrupt files are named errors",
          "[data][hdf5]") {
  test::TempDir d;
  CHECK_THROWS_WITH(data::Hdf5File(d.path() + "/none.h5"),
                    Contains("none.h5: cannot read: No such file or directory"));
  CHECK_THROWS_WITH(
      data::Hdf5File(d.write("text.h5", "ECAL,energy\n1,2\n")),
      Contains("text.h5: cannot open as HDF5: unable to open file (file signature not found)"));
  CHECK_THROWS_WITH(data::Hdf5File(d.write("empty.h5", "")),
                    Contains("empty.h5: cannot open as HDF5"));
  const std::string& gan = gan_chunks();
  const std::string& virgo = shared("virgo", "virgo.h5", "--small --seed 2");
  for (const std::string& src : {gan, virgo}) {
    const std::string bytes = read_bytes(src);
    for (double frac : {0.01, 0.3, 0.6, 0.95}) {
      INFO(src << " cut to " << frac);
      std::string cut =
          d.write("cut.h5", bytes.substr(0, static_cast<size_t>(frac * bytes.size())));
      try {
        data::Hdf5File f(cut);
        for (const auto& ds : f.datasets()) f.read(ds.name, kBudget);
        FAIL("a truncated file read without error");
      } catch (const RuntimeError& e) {
        CHECK_THAT(e.what(),
                   Contains(cut + ": cannot open as HDF5: unable to open file (truncated file"));
      }
    }
  }
  // Garbage over the compressed showers: the read names the dataset and HDF5's reason.
  std::string bytes = read_bytes(gan);
  for (size_t i = bytes.size() / 3; i < bytes.size() / 3 + 4096; ++i)
    bytes[i] = static_cast<char>(i * 7919);
  std::string bad = d.write("corrupt.h5", bytes);
  data::Hdf5File f(bad);
  CHECK_THROWS_WITH(f.read("ECAL", kBudget), Contains(bad + ": dataset 'ECAL': H5Dread failed: "));
}
