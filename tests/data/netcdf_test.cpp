// NetCDF reader against files written by the drought generator (NetCDF-4 via
// netCDF4-python) and by the NetCDF-C API here (classic format), good and bad.
#include "itwin/data/netcdf.hpp"

#include <netcdf.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "../helpers.hpp"
#include "itwin/util/error.hpp"

using namespace itwin;
using Catch::Matchers::Contains;
using data::DType;

namespace {

constexpr size_t kBudget = size_t(1) << 30;

#define NC_OK(call) REQUIRE((call) == NC_NOERR)

/// use-cases/drought/generate.py --small into dir/name (8 catchments x 400 days).
std::string drought(const test::TempDir& d, const std::string& name, const std::string& args = "") {
  std::string out = d.path() + "/" + name;
  auto r = test::run_shell("/usr/bin/python3 " + test::source_root() +
                           "/use-cases/drought/generate.py --small --out " + out + " " + args);
  INFO(r.out);
  REQUIRE(r.exit_code == 0);
  return out;
}

/// One --small datacube for the tests that only read it (generated once per run).
const std::string& shared_drought() {
  static test::TempDir dir;
  static const std::string path = drought(dir, "drought.nc");
  return path;
}

/// Python's own reading of a variable: number of masked values and sum of the rest.
std::pair<long, double> python_view(const std::string& path, const std::string& var) {
  auto r =
      test::run_shell("/usr/bin/python3 -c \"import netCDF4, numpy as np; v = netCDF4.Dataset('" +
                      path + "')['" + var +
                      "'][:]; "
                      "print(np.ma.count_masked(v), repr(float(np.ma.sum(v, dtype='f8'))))\"");
  INFO(r.out);
  REQUIRE(r.exit_code == 0);
  std::istringstream s(r.out);
  std::pair<long, double> out;
  s >> out.first >> out.second;
  return out;
}

std::string read_file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

double nansum(const data::Array& a) {
  double s = 0;
  for (int64_t i = 0; i < a.numel(); ++i)
    if (!std::isnan(a.at(i))) s += a.at(i);
  return s;
}

/// A classic-format file with each CF case: see the test below.
std::string hand_made(const test::TempDir& d) {
  std::string p = d.path() + "/hand.nc";
  int id, x, y, vf, vm, vp, vi, vc, vpart, vs;
  NC_OK(nc_create(p.c_str(), NC_CLOBBER, &id));
  NC_OK(nc_def_dim(id, "x", 4, &x));
  NC_OK(nc_def_dim(id, "y", 3, &y));
  int xy[] = {x, y};
  NC_OK(nc_def_var(id, "f", NC_FLOAT, 2, xy, &vf));
  float ffill = -1;
  NC_OK(nc_put_att_float(id, vf, "_FillValue", NC_FLOAT, 1, &ffill));
  NC_OK(nc_put_att_text(id, vf, "units", 4, "degC"));
  NC_OK(nc_def_var(id, "m", NC_DOUBLE, 1, &x, &vm));
  double mv[] = {-99, -98};
  NC_OK(nc_put_att_double(id, vm, "missing_value", NC_DOUBLE, 2, mv));
  NC_OK(nc_def_var(id, "p", NC_SHORT, 1, &x, &vp));
  float scale = 0.5f, offset = 10;
  short pfill = -32767;
  NC_OK(nc_put_att_float(id, vp, "scale_factor", NC_FLOAT, 1, &scale));
  NC_OK(nc_put_att_float(id, vp, "add_offset", NC_FLOAT, 1, &offset));
  NC_OK(nc_put_att_short(id, vp, "_FillValue", NC_SHORT, 1, &pfill));
  NC_OK(nc_def_var(id, "i", NC_INT, 1, &x, &vi));
  NC_OK(nc_def_var(id, "c", NC_CHAR, 1, &x, &vc));
  NC_OK(nc_def_var(id, "partial", NC_FLOAT, 1, &x, &vpart));
  NC_OK(nc_def_var(id, "s", NC_DOUBLE, 0, nullptr, &vs));
  NC_OK(nc_put_att_text(id, NC_GLOBAL, "title", 4, "hand"));
  NC_OK(nc_enddef(id));
  float f[] = {1, 2, -1, 4, 5, 6, 7, -1, 9, 10, 11, NAN};
  double m[] = {1.5, -99, 3.5, -98};
  short ps[] = {4, -32767, 0, 100};
  int is[] = {-7, 0, 7, 2147483647};
  double s = 42;
  NC_OK(nc_put_var_float(id, vf, f));
  NC_OK(nc_put_var_double(id, vm, m));
  NC_OK(nc_put_var_short(id, vp, ps));
  NC_OK(nc_put_var_int(id, vi, is));
  NC_OK(nc_put_var_text(id, vc, "abcd"));
  size_t st = 0, ct = 2;
  float part[] = {3, 4};
  NC_OK(nc_put_vara_float(id, vpart, &st, &ct, part));  // x = 2, 3 stay the default fill
  NC_OK(nc_put_var_double(id, vs, &s));
  NC_OK(nc_close(id));
  return p;
}

}  // namespace

TEST_CASE("netcdf: the drought generator's datacube, read as Python reads it", "[data][netcdf]") {
  const std::string& p = shared_drought();
  data::NetcdfFile f(p);
  CHECK(f.format() == "netCDF-4");
  REQUIRE(f.dimensions().size() == 2);
  CHECK(f.dimensions()[0].name == "time");
  CHECK(f.dimensions()[0].length == 400);
  CHECK(f.dimensions()[1].length == 8);
  REQUIRE(data::find_attribute(f.attributes(), "Conventions"));
  CHECK(data::find_attribute(f.attributes(), "Conventions")->text() == "CF-1.8");
  const auto& precip = f.variable("precip");
  CHECK(precip.dims == std::vector<std::string>{"time", "catchment"});
  CHECK(precip.dtype == DType::F32);
  CHECK(precip.chunks == std::vector<int64_t>{365, 8});
  CHECK(precip.describe() == "precip(time=400, catchment=8) float -> float32 'mm day-1'");
  CHECK(f.variable("catchment").dtype == DType::I32);
  CHECK(f.variable("time").dtype == DType::F64);

  auto all = f.read("precip", kBudget);
  CHECK(all.array.shape == std::vector<int64_t>{400, 8});
  CHECK(all.missing == 0);
  auto [masked, sum] = python_view(p, "precip");
  CHECK(masked == 0);
  CHECK(nansum(all.array) == Approx(sum).epsilon(1e-6));

  // Gauge outages: _FillValue -> NaN, counted, the same cells Python masks.
  auto q = f.read("discharge", kBudget);
  auto [q_masked, q_sum] = python_view(p, "discharge");
  CHECK(q_masked > 0);
  CHECK(q.missing == q_masked);
  CHECK(nansum(q.array) == Approx(q_sum).epsilon(1e-6));

  auto rows = f.read_rows("precip", 10, 20, kBudget);
  REQUIRE(rows.array.shape == std::vector<int64_t>{10, 8});
  for (int64_t i = 0; i < 80; ++i) CHECK(rows.array.at(i) == all.array.at(80 + i));
  auto slab = f.read("temp", {5, 2}, {3, 4}, kBudget);
  auto temp = f.read("temp", kBudget);
  CHECK(slab.array.shape == std::vector<int64_t>{3, 4});
  CHECK(slab.array.at(4 * 2 + 3) == temp.array.at(8 * 7 + 5));
}

TEST_CASE("netcdf: static and dynamic variables stacked for a dataset", "[data][netcdf]") {
  data::NetcdfFile f(shared_drought());
  auto dyn = f.read_stacked({"precip", "temp", "pet"}, {"time", "catchment"}, 100, 130, kBudget);
  REQUIRE(dyn.array.shape == std::vector<int64_t>{30, 8, 3});
  auto temp = f.read("temp", kBudget).array;
  CHECK(dyn.array.at((3 * 8 + 5) * 3 + 1) == temp.at((103) * 8 + 5));
  auto st = f.read_stacked({"area", "elevation", "catchment"}, {"catchment"}, 0, -1, kBudget);
  REQUIRE(st.array.shape == std::vector<int64_t>{8, 3});
  CHECK(st.array.dtype == DType::F32);
  CHECK(st.array.at(3 * 3 + 2) == 4);  // catchment ids 1..8, converted to float
  CHECK(st.array.at(3 * 3 + 0) == Approx(f.read("area", kBudget).array.at(3)));
  auto q = f.read_stacked({"discharge", "soil_moisture"}, {"time", "catchment"}, 0, -1, kBudget);
  CHECK(q.missing == f.read("discharge", kBudget).missing);

  CHECK_THROWS_WITH(
      f.read_stacked({"precip", "area"}, {"time", "catchment"}, 0, 10, kBudget),
      Contains(
          "drought.nc: variable 'area': has dimensions (catchment), expected (time, catchment)"));
  CHECK_THROWS_WITH(f.read_stacked({"precip", "tmep"}, {"time", "catchment"}, 0, 10, kBudget),
                    Contains("drought.nc: no variable 'tmep' (did you mean 'temp'?)"));
  // 30 x 8 x 3 float32 = 2880 bytes, plus one variable's slab.
  CHECK_THROWS_WITH(f.read_stacked({"precip", "temp", "pet"}, {"time", "catchment"}, 0, 30, 3000),
                    Contains("needs 3.8 KiB, more than the memory budget of 2.9 KiB"));
}

TEST_CASE("netcdf: the generator is reproducible from its seed", "[data][netcdf]") {
  test::TempDir d;
  data::NetcdfFile a(drought(d, "a.nc", "--seed 3")), b(drought(d, "b.nc", "--seed 3")),
      c(drought(d, "c.nc", "--seed 4"));
  for (const char* v : {"precip", "discharge", "soil_moisture", "soil_capacity"}) {
    INFO(v);
    CHECK(a.read(v, kBudget).array.bytes == b.read(v, kBudget).array.bytes);
    CHECK(a.read(v, kBudget).array.bytes != c.read(v, kBudget).array.bytes);
  }
}

TEST_CASE("netcdf: fill values, missing values, packing, text (classic file from the C API)",
          "[data][netcdf]") {
  test::TempDir d;
  data::NetcdfFile f(hand_made(d));
  CHECK(f.format() == "classic");
  CHECK(f.variable("f").chunks.empty());
  CHECK(f.variable("f").masked);
  auto fr = f.read("f", kBudget);
  CHECK(fr.array.dtype == DType::F32);
  CHECK(fr.missing == 3);  // two _FillValue, one NaN written as such
  CHECK(std::isnan(fr.array.at(2)));
  CHECK(std::isnan(fr.array.at(7)));
  CHECK(fr.array.at(8) == 9);
  auto m = f.read("m", kBudget);
  CHECK(m.missing == 2);
  CHECK(std::isnan(m.array.at(1)));
  CHECK(m.array.at(2) == 3.5);
  auto p = f.read("p", kBudget);  // packed short -> float32: raw * 0.5 + 10
  CHECK(f.variable("p").packed);
  CHECK(p.array.dtype == DType::F32);
  CHECK(p.array.at(0) == 12.0);
  CHECK(std::isnan(p.array.at(1)));
  CHECK(p.array.at(3) == 60.0);
  CHECK(p.missing == 1);
  auto i = f.read("i", kBudget);  // no fill attribute: stays an integer
  CHECK(i.array.dtype == DType::I32);
  CHECK(i.array.at(3) == 2147483647.0);
  auto part = f.read("partial", kBudget);  // never-written values hold the default fill
  CHECK(part.missing == 2);
  CHECK(part.array.at(1) == 4);
  auto s = f.read("s", kBudget);
  CHECK(s.array.shape.empty());
  CHECK(s.array.at(0) == 42);
  CHECK(f.variable("c").type == "char");
  CHECK_FALSE(f.variable("c").dtype);
  CHECK_THROWS_WITH(f.read("c", kBudget),
                    Contains("hand.nc: variable 'c': has type char, not a number"));
  CHECK_THROWS_WITH(f.read_rows("s", 0, 1, kBudget),
                    Contains("variable 's': is a scalar; it has no rows"));
  CHECK(data::find_attribute(f.attributes(), "title")->text() == "hand");
}

TEST_CASE("netcdf: wrong requests are errors that name the file and the variable",
          "[data][netcdf]") {
  data::NetcdfFile f(shared_drought());
  try {
    f.variable("precp");
    FAIL("no error");
  } catch (const RuntimeError& e) {
    CHECK(e.exit_code() == 1);
    CHECK_THAT(e.what(), Contains("drought.nc: no variable 'precp' (did you mean 'precip'?); "
                                  "variables: time, catchment, lat"));
  }
  CHECK_THROWS_WITH(f.read_rows("precip", 390, 401, kBudget),
                    Contains("variable 'precip': rows [390, 401) are outside [0, 400)"));
  CHECK_THROWS_WITH(
      f.read("precip", {0, 0}, {10, 9}, kBudget),
      Contains(
          "variable 'precip': hyperslab start [0, 0] count [10, 9] is outside the shape [400, 8]"));
  CHECK_THROWS_WITH(f.read("precip", {0}, {10}, kBudget),
                    Contains("variable 'precip': has 2 dimensions [400, 8], but the hyperslab "
                             "start [0] count [10] has 1"));
  CHECK_THROWS_WITH(f.read("precip", 1000),
                    Contains("drought.nc: variable 'precip': reading [400, 8] float32 needs 12.5 "
                             "KiB, more than the memory budget of 1000 B"));
  CHECK(f.read_rows("precip", 7, 7, kBudget).array.shape == std::vector<int64_t>{0, 8});
}

TEST_CASE("netcdf: unreadable, foreign, truncated and corrupt files are named errors",
          "[data][netcdf]") {
  test::TempDir d;
  CHECK_THROWS_WITH(data::NetcdfFile(d.path() + "/none.nc"),
                    Contains("none.nc: cannot read: No such file or directory"));
  CHECK_THROWS_WITH(data::NetcdfFile(d.path()), Contains(": cannot read: is a directory"));
  CHECK_THROWS_WITH(data::NetcdfFile(d.write("text.nc", "time,precip\n1,2\n")),
                    Contains("text.nc: cannot open as NetCDF: Unknown file format"));
  CHECK_THROWS_WITH(data::NetcdfFile(d.write("empty.nc", "")),
                    Contains("empty.nc: cannot open as NetCDF"));

  // Cut a NetCDF-4 file and a classic file at several lengths: either the
  // open or a read fails with the file's name; nothing crashes.
  std::string classic = hand_made(d);
  const std::string& nc4 = shared_drought();
  for (const std::string& src : {classic, nc4}) {
    std::string bytes = read_file_bytes(src);
    for (double frac : {0.05, 0.3, 0.6, 0.9}) {
      std::string cut =
          d.write("cut.nc", bytes.substr(0, static_cast<size_t>(frac * bytes.size())));
      INFO(src << " cut to " << frac);
      try {
        data::NetcdfFile f(cut);
        for (const auto& v : f.variables())
          if (v.dtype) f.read(v.name, kBudget);
        FAIL("a truncated file read without error");
      } catch (const RuntimeError& e) {
        CHECK_THAT(
            e.what(),
            Contains(cut + (src == classic ? ": truncated NetCDF file: "
                                           : ": cannot open as NetCDF: HDF5: unable to open file "
                                             "(truncated file: eof = ")));
      }
    }
  }
  // Garbage over compressed chunks of a NetCDF-4 file: the read names the variable.
  std::string bytes = read_file_bytes(nc4);
  for (size_t i = bytes.size() / 2; i < bytes.size() / 2 + 2048; ++i)
    bytes[i] = static_cast<char>(i * 7919);
  std::string bad = d.write("corrupt.nc", bytes);
  data::NetcdfFile f(bad);
  std::string error;
  for (const auto& v : f.variables()) {
    try {
      f.read(v.name, kBudget);
    } catch (const RuntimeError& e) {
      error = e.what();
      break;
    }
  }
  CHECK_THAT(error, Contains(bad + ": variable '") &&
                        Contains("': nc_get_vara_float failed: HDF error (HDF5 could not read"));
}

TEST_CASE("netcdf: several threads read at once", "[data][netcdf]") {
  const std::string& p = shared_drought();
  const double expected = nansum(data::NetcdfFile(p).read("discharge", kBudget).array);
  std::vector<double> sums(4);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < sums.size(); ++t) {
    threads.emplace_back([&, t] {
      data::NetcdfFile f(p);
      for (int k = 0; k < 20; ++k) sums[t] = nansum(f.read("discharge", kBudget).array);
    });
  }
  for (auto& t : threads) t.join();
  for (double s : sums) CHECK(s == expected);
}
