// Reading HDF5 datasets: whole, hyperslabs, or rows of the first dimension,
// converted by HDF5 to the dtype the listing announced.
#include <algorithm>

#include "hdf5_impl.hpp"
#include "itwin/util/error.hpp"

namespace itwin::data {
using detail::Hid;
using detail::native;

hid_t Hdf5File::Impl::dataset(const H5Dataset& d, const std::string& w) {
  auto it = open.find(d.name);
  if (it != open.end()) return it->second.get();
  Hid dapl(ITWIN_H5(w, H5Pcreate(H5P_DATASET_ACCESS)));
  if (!d.chunks.empty() && d.dtype) {
    // Room for two chunks, so that consecutive row ranges that share a chunk
    // decompress it once; w0 = 1 evicts chunks read to the end first.
    double chunk = static_cast<double>(dtype_size(*d.dtype));
    for (auto c : d.chunks) chunk *= static_cast<double>(c);
    const double bytes = std::clamp(2 * chunk, 1.0 * (1 << 20), 256.0 * (1 << 20));
    ITWIN_H5(w, H5Pset_chunk_cache(dapl.get(), 12421, static_cast<size_t>(bytes), 1.0));
  }
  Hid ds(ITWIN_H5(w, H5Dopen2(file.get(), d.name.c_str(), dapl.get())));
  return open.emplace(d.name, std::move(ds)).first->second.get();
}

Array Hdf5File::read(const std::string& name, size_t max_bytes) const {
  const H5Dataset& d = dataset(name);
  return read(name, std::vector<int64_t>(d.shape.size(), 0), d.shape, max_bytes);
}

Array Hdf5File::read_rows(const std::string& name, int64_t begin, int64_t end,
                          size_t max_bytes) const {
  const H5Dataset& d = dataset(name);
  std::vector<int64_t> start, count;
  detail::rows_slab(path_ + ": dataset '" + d.name + "'", d.shape, begin, end, start, count);
  return read(name, start, count, max_bytes);
}

Array Hdf5File::read(const std::string& name, const std::vector<int64_t>& start,
                     const std::vector<int64_t>& count, size_t max_bytes) const {
  const H5Dataset& d = dataset(name);
  const std::string w = path_ + ": dataset '" + d.name + "'";
  if (!d.dtype)
    throw RuntimeError(w + ": has type " + d.type + ", not a number; cannot read it as an array");
  detail::check_slab(w, d.shape, start, count);
  detail::check_budget(w, count, *d.dtype, max_bytes);
  Array a;
  a.dtype = *d.dtype;
  a.shape = count;
  a.bytes.resize(static_cast<size_t>(a.numel()) * dtype_size(a.dtype));
  if (a.numel() == 0) return a;
  detail::LibraryLock lock;
  // HDF5 converts numbers between types; an enum is read as itself (its
  // native form), whose bytes are the integers the listing promised.
  Hid file_type(ITWIN_H5(w, H5Dget_type(impl_->dataset(d, w))));
  Hid enum_type;
  hid_t mem_type = native(a.dtype);
  if (H5Tget_class(file_type.get()) == H5T_ENUM) {
    enum_type = Hid(ITWIN_H5(w, H5Tget_native_type(file_type.get(), H5T_DIR_ASCEND)));
    mem_type = enum_type.get();
  }
  read_into(d, w, start, count, mem_type, a.bytes.data());
  return a;
}

void Hdf5File::read_rows_float(const std::string& name, int64_t begin, int64_t end, float* out,
                               size_t max_bytes) const {
  const H5Dataset& d = dataset(name);
  const std::string w = path_ + ": dataset '" + d.name + "'";
  if (!d.dtype)
    throw RuntimeError(w + ": has type " + d.type + ", not a number; cannot read it as an array");
  std::vector<int64_t> start, count;
  detail::rows_slab(w, d.shape, begin, end, start, count);
  detail::check_budget(w, count, DType::F32, max_bytes);
  if (end == begin) return;
  {
    detail::LibraryLock lock;
    Hid file_type(ITWIN_H5(w, H5Dget_type(impl_->dataset(d, w))));
    if (H5Tget_class(file_type.get()) != H5T_ENUM) {
      read_into(d, w, start, count, H5T_NATIVE_FLOAT, out);
      return;
    }
  }
  // HDF5 does not convert an enum to float: its integers, widened here.
  Array a = read(name, start, count, max_bytes);
  for (int64_t i = 0; i < a.numel(); ++i) out[i] = static_cast<float>(a.at(i));
}

void Hdf5File::read_into(const H5Dataset& d, const std::string& w,
                         const std::vector<int64_t>& start, const std::vector<int64_t>& count,
                         int64_t mem_type, void* out) const {
  static_assert(sizeof(hid_t) == sizeof(int64_t), "hid_t is a 64-bit id since HDF5 1.10");
  const hid_t ds = impl_->dataset(d, w);
  Hid file_space(ITWIN_H5(w, H5Dget_space(ds)));
  Hid mem_space;
  if (count.empty()) {
    mem_space = Hid(ITWIN_H5(w, H5Screate(H5S_SCALAR)));
  } else {
    std::vector<hsize_t> st(start.begin(), start.end()), ct(count.begin(), count.end());
    ITWIN_H5(w, H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, st.data(), nullptr, ct.data(),
                                    nullptr));
    mem_space = Hid(ITWIN_H5(w, H5Screate_simple(static_cast<int>(ct.size()), ct.data(), nullptr)));
  }
  ITWIN_H5(w, H5Dread(ds, static_cast<hid_t>(mem_type), mem_space.get(), file_space.get(),
                      H5P_DEFAULT, out));
}

}  // namespace itwin::data
