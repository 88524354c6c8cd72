// The NetCDF and HDF5 readers of a build without libnetcdf and libhdf5
// (meson -Dsci_formats=disabled, or the libraries not found): every open
// fails with a message that names the file and says how to get the readers.
// The rest of itwin (other formats, training, tracking) is unaffected.

#include "itwin/data/hdf5.hpp"
#include "itwin/data/hdf5_write.hpp"
#include "itwin/data/netcdf.hpp"
#include "itwin/util/error.hpp"

namespace itwin::data {
namespace {

[[noreturn]] void absent(const std::string& path, const char* format) {
  throw RuntimeError(path + ": this itwin was built without " + format +
                     " support; rebuild with libnetcdf-dev and libhdf5-dev installed (meson "
                     "-Dsci_formats=enabled)");
}

}  // namespace

std::string NcVariable::describe() const { return name; }
std::string H5Dataset::describe() const { return name; }

NetcdfFile::NetcdfFile(const std::string& path) : path_(path) { absent(path, "NetCDF"); }
NetcdfFile::~NetcdfFile() = default;
const NcVariable* NetcdfFile::find(const std::string&) const { return nullptr; }
const NcVariable& NetcdfFile::variable(const std::string&) const { absent(path_, "NetCDF"); }
NcRead NetcdfFile::read(const std::string&, size_t) const { absent(path_, "NetCDF"); }
NcRead NetcdfFile::read(const std::string&, const std::vector<int64_t>&,
                        const std::vector<int64_t>&, size_t) const {
  absent(path_, "NetCDF");
}
NcRead NetcdfFile::read_rows(const std::string&, int64_t, int64_t, size_t) const {
  absent(path_, "NetCDF");
}
NcRead NetcdfFile::read_stacked(const std::vector<std::string>&, const std::vector<std::string>&,
                                int64_t, int64_t, size_t) const {
  absent(path_, "NetCDF");
}

struct Hdf5File::Impl {};
Hdf5File::Hdf5File(const std::string& path) : path_(path) { absent(path, "HDF5"); }
Hdf5File::~Hdf5File() = default;
const H5Dataset* Hdf5File::find(const std::string&) const { return nullptr; }
const H5Dataset& Hdf5File::dataset(const std::string&) const { absent(path_, "HDF5"); }
Array Hdf5File::read(const std::string&, size_t) const { absent(path_, "HDF5"); }
Array Hdf5File::read(const std::string&, const std::vector<int64_t>&, const std::vector<int64_t>&,
                     size_t) const {
  absent(path_, "HDF5");
}
Array Hdf5File::read_rows(const std::string&, int64_t, int64_t, size_t) const {
  absent(path_, "HDF5");
}

void write_hdf5(const std::string& path, const std::vector<H5Output>&,
                const std::vector<Attribute>&) {
  absent(path, "HDF5");
}

}  // namespace itwin::data
