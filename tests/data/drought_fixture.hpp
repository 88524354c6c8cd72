#pragma once
// Datacubes for the netcdf tests: the drought generator's --small file, and
// small hand-made files (written by netCDF4-python) with one defect each.

#include <catch2/catch.hpp>
#include <cstdlib>
#include <string>

#include "../helpers.hpp"
#include "itwin/config/specs.hpp"

namespace itwin::test {

/// use-cases/drought/generate.py --small (8 catchments x 400 days, 2 % of the
/// discharge missing) into dir/name.
inline std::string drought_cube(const TempDir& d, const std::string& name = "drought.nc",
                                const std::string& args = "") {
  std::string out = d.path() + "/" + name;
  auto r = run_shell("/usr/bin/python3 " + source_root() +
                     "/use-cases/drought/generate.py --small --out " + out + " " + args);
  INFO(r.out);
  REQUIRE(r.exit_code == 0);
  return out;
}

/// A file made by `body`, Python run with `nc` an open netCDF4.Dataset holding
/// dimensions time (T) and catchment (C), coordinate variables of both, and
/// float32 variables p (time, catchment) = t + 10 c and a (catchment) = c.
inline std::string hand_cube(const TempDir& d, const std::string& name, int time, int catchments,
                             const std::string& body) {
  std::string path = d.path() + "/" + name;
  std::string script =
      d.write(name + ".py",
              "import netCDF4, numpy as np\n"
              "T, C = " +
                  std::to_string(time) + ", " + std::to_string(catchments) +
                  "\n"
                  "nc = netCDF4.Dataset('" +
                  path +
                  "', 'w')\n"
                  "nc.createDimension('time', T)\n"
                  "nc.createDimension('catchment', C)\n"
                  "nc.createVariable('time', 'f8', ('time',))[:] = np.arange(T)\n"
                  "nc.createVariable('catchment', 'i4', ('catchment',))[:] = np.arange(C) + 1\n"
                  "t, c = np.meshgrid(np.arange(T), np.arange(C), indexing='ij')\n"
                  "nc.createVariable('p', 'f4', ('time', 'catchment'))[:] = t + 10 * c\n"
                  "nc.createVariable('a', 'f4', ('catchment',))[:] = np.arange(C)\n" +
                  body + "\nnc.close()\n");
  auto r = run_shell("/usr/bin/python3 " + script);
  INFO(r.out);
  REQUIRE(r.exit_code == 0);
  return path;
}

/// A netcdf data set spec over the drought file's forcing and attributes.
inline config::DatasetSpec drought_spec(const std::string& path) {
  config::DatasetSpec s;
  s.format = config::DataFormat::Netcdf;
  s.path = path;
  s.netcdf.dynamic = {"precip", "temp", "pet"};
  s.netcdf.statics = {"area", "elevation"};
  s.netcdf.targets = {"discharge"};
  s.netcdf.seq_length = 30;
  s.split.validation = 2;
  s.split.test = 1;
  return s;
}

}  // namespace itwin::test
