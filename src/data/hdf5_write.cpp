// Writing HDF5 files: numeric datasets (chunked and compressed when they have
// rows of data) and numeric or text attributes, into a temp file renamed into place.
#include "itwin/data/hdf5_write.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "hdf5_impl.hpp"
#include "itwin/util/error.hpp"
#include "itwin/util/fs.hpp"

namespace itwin::data {
namespace {

using detail::Hid;
using detail::native;

void write_attribute(hid_t object, const Attribute& a, const std::string& w) {
  const std::string where = w + " attribute '" + a.name + "'";
  if (a.is_text()) {
    // A variable-length UTF-8 string, as h5py writes one (and reads back as str).
    const std::string text = a.text();
    const char* ptr = text.c_str();
    Hid type(ITWIN_H5(where, H5Tcopy(H5T_C_S1)));
    ITWIN_H5(where, H5Tset_size(type.get(), H5T_VARIABLE));
    ITWIN_H5(where, H5Tset_cset(type.get(), H5T_CSET_UTF8));
    Hid space(ITWIN_H5(where, H5Screate(H5S_SCALAR)));
    Hid attr(ITWIN_H5(where, H5Acreate2(object, a.name.c_str(), type.get(), space.get(),
                                        H5P_DEFAULT, H5P_DEFAULT)));
    ITWIN_H5(where, H5Awrite(attr.get(), type.get(), &ptr));
    return;
  }
  hsize_t n = a.numbers.size();
  Hid space(ITWIN_H5(where, n == 1 ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, &n, nullptr)));
  Hid attr(ITWIN_H5(where, H5Acreate2(object, a.name.c_str(), H5T_IEEE_F64LE, space.get(),
                                      H5P_DEFAULT, H5P_DEFAULT)));
  if (n) ITWIN_H5(where, H5Awrite(attr.get(), H5T_NATIVE_DOUBLE, a.numbers.data()));
}

void write_dataset(hid_t file, const H5Output& d, const std::string& path) {
  const std::string w = path + ": dataset '" + d.name + "'";
  const Array& a = d.data;
  if (a.bytes.size() != static_cast<size_t>(a.numel()) * dtype_size(a.dtype)) {
    throw RuntimeError(w + ": holds " + std::to_string(a.bytes.size()) + " bytes for shape " +
                       a.shape_str());
  }
  std::vector<hsize_t> dims(a.shape.begin(), a.shape.end());
  Hid space(ITWIN_H5(
      w, dims.empty() ? H5Screate(H5S_SCALAR)
                      : H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr)));
  Hid dcpl(ITWIN_H5(w, H5Pcreate(H5P_DATASET_CREATE)));
  if (dims.size() >= 2 && a.numel() > 0) {
    // Chunks of whole rows, about 1 MiB, compressed as generate.py does (shuffle + deflate 4).
    std::vector<hsize_t> chunk = dims;
    const double row =
        static_cast<double>(a.numel() / a.shape[0]) * static_cast<double>(dtype_size(a.dtype));
    chunk[0] = static_cast<hsize_t>(std::clamp((1 << 20) / row, 1.0, static_cast<double>(dims[0])));
    ITWIN_H5(w, H5Pset_chunk(dcpl.get(), static_cast<int>(chunk.size()), chunk.data()));
    ITWIN_H5(w, H5Pset_shuffle(dcpl.get()));
    ITWIN_H5(w, H5Pset_deflate(dcpl.get(), 4));
  }
  const hid_t file_type = a.dtype == DType::Bool ? H5T_NATIVE_UCHAR : native(a.dtype);
  Hid ds(ITWIN_H5(w, H5Dcreate2(file, d.name.c_str(), file_type, space.get(), H5P_DEFAULT,
                                dcpl.get(), H5P_DEFAULT)));
  if (a.numel() > 0)
    ITWIN_H5(w, H5Dwrite(ds.get(), native(a.dtype), H5S_ALL, H5S_ALL, H5P_DEFAULT, a.bytes.data()));
  for (const auto& at : d.attributes) write_attribute(ds.get(), at, w);
}

}  // namespace

void write_hdf5(const std::string& path, const std::vector<H5Output>& datasets,
                const std::vector<Attribute>& attributes) {
  namespace fs = std::filesystem;
  if (!fs::path(path).parent_path().empty()) fs::create_directories(fs::path(path).parent_path());
  const std::string tmp = path + ".tmp" + std::to_string(::getpid());
  try {
    detail::LibraryLock lock;
    {
      Hid file(ITWIN_H5(path, H5Fcreate(tmp.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT)));
      for (const auto& a : attributes) write_attribute(file.get(), a, path);
      for (const auto& d : datasets) write_dataset(file.get(), d, path);
      ITWIN_H5(path, H5Fflush(file.get(), H5F_SCOPE_GLOBAL));
    }  // closed before the rename
    commit_file_atomic(tmp, path);
  } catch (...) {
    std::remove(tmp.c_str());
    throw;
  }
}

}  // namespace itwin::data
