// Reading NetCDF variables: hyperslabs into Arrays with the CF conventions
// applied (fill and missing values -> NaN, scale_factor/add_offset), and
// several variables of the same dimensions stacked for a dataset.
#include <netcdf.h>

#include <cmath>
#include <cstring>
#include <limits>

#include "itwin/data/netcdf.hpp"
#include "itwin/util/error.hpp"
#include "itwin/util/strings.hpp"
#include "netcdf_check.hpp"
#include "slab.hpp"

namespace itwin::data {
namespace {

/// The values that mean "no data" and the packing of one variable.
struct Cf {
  std::optional<double> fill;
  std::vector<double> missing_values;
  double scale = 1, offset = 0;
  bool packed = false;
};

Cf cf_of(const NcVariable& v, int id, int varid) {
  Cf cf;
  if (const Attribute* a = find_attribute(v.attributes, "_FillValue")) {
    cf.fill = a->number();
  } else {
    // Without _FillValue, never-written float values hold the library's
    // default fill (unless the writer switched filling off): missing too.
    nc_type t;
    int no_fill = 1;
    if (nc_inq_vartype(id, varid, &t) == NC_NOERR && (t == NC_FLOAT || t == NC_DOUBLE) &&
        nc_inq_var_fill(id, varid, &no_fill, nullptr) == NC_NOERR && !no_fill) {
      cf.fill = t == NC_FLOAT ? static_cast<double>(NC_FILL_FLOAT) : NC_FILL_DOUBLE;
    }
  }
  if (const Attribute* a = find_attribute(v.attributes, "missing_value"))
    cf.missing_values = a->numbers;
  if (const Attribute* a = find_attribute(v.attributes, "scale_factor"); a && a->number())
    cf.scale = *a->number();
  if (const Attribute* a = find_attribute(v.attributes, "add_offset"); a && a->number())
    cf.offset = *a->number();
  cf.packed = v.packed;
  return cf;
}

/// Masks (compared with the packed values, as CF says) and unpacks in place;
/// returns the number of NaNs.
template <typename T>
int64_t apply_cf(T* x, int64_t n, const Cf& cf) {
  const bool has_fill = cf.fill.has_value();
  const T fill = has_fill ? static_cast<T>(*cf.fill) : T(0);
  std::vector<T> mv;
  for (double m : cf.missing_values) mv.push_back(static_cast<T>(m));
  const T nan = std::numeric_limits<T>::quiet_NaN();
  int64_t missing = 0;
  for (int64_t i = 0; i < n; ++i) {
    T v = x[i];
    bool gone = std::isnan(v) || (has_fill && v == fill);
    for (size_t k = 0; k < mv.size() && !gone; ++k) gone = v == mv[k];
    if (gone) {
      x[i] = nan;
      ++missing;
    } else if (cf.packed) {
      x[i] = static_cast<T>(v * cf.scale + cf.offset);
    }
  }
  return missing;
}

}  // namespace

NcRead NetcdfFile::read(const std::string& name, size_t max_bytes) const {
  const NcVariable& v = variable(name);
  return read(name, std::vector<int64_t>(v.shape.size(), 0), v.shape, max_bytes);
}

NcRead NetcdfFile::read_rows(const std::string& name, int64_t begin, int64_t end,
                             size_t max_bytes) const {
  std::vector<int64_t> start, count;
  detail::rows_slab(where(name), variable(name).shape, begin, end, start, count);
  return read(name, start, count, max_bytes);
}

NcRead NetcdfFile::read(const std::string& name, const std::vector<int64_t>& start,
                        const std::vector<int64_t>& count, size_t max_bytes) const {
  const NcVariable& v = variable(name);
  const std::string w = where(name);
  if (!v.dtype)
    throw RuntimeError(w + ": has type " + v.type + ", not a number; cannot read it as an array");
  detail::check_slab(w, v.shape, start, count);
  detail::check_budget(w, count, *v.dtype, max_bytes);
  NcRead r;
  r.array.dtype = *v.dtype;
  r.array.shape = count;
  r.array.bytes.resize(static_cast<size_t>(r.array.numel()) * dtype_size(*v.dtype));
  if (r.array.numel() == 0) return r;
  // Rank 0 (a scalar) still needs valid pointers.
  std::vector<size_t> st(start.begin(), start.end()), ct(count.begin(), count.end());
  st.push_back(0);
  ct.push_back(1);
  const int varid = static_cast<int>(&v - vars_.data());
  void* p = r.array.bytes.data();
  detail::LibraryLock lock;
  // NetCDF-C converts from the file's type to the one asked for.
  switch (*v.dtype) {
    case DType::I8:
      ITWIN_NC(w,
               nc_get_vara_schar(id_, varid, st.data(), ct.data(), static_cast<signed char*>(p)));
      break;
    case DType::U8:
    case DType::Bool:
      ITWIN_NC(w,
               nc_get_vara_uchar(id_, varid, st.data(), ct.data(), static_cast<unsigned char*>(p)));
      break;
    case DType::I16:
      ITWIN_NC(w, nc_get_vara_short(id_, varid, st.data(), ct.data(), static_cast<short*>(p)));
      break;
    case DType::I32:
      ITWIN_NC(w, nc_get_vara_int(id_, varid, st.data(), ct.data(), static_cast<int*>(p)));
      break;
    case DType::I64:
      ITWIN_NC(w,
               nc_get_vara_longlong(id_, varid, st.data(), ct.data(), static_cast<long long*>(p)));
      break;
    case DType::F32:
      ITWIN_NC(w, nc_get_vara_float(id_, varid, st.data(), ct.data(), static_cast<float*>(p)));
      break;
    case DType::F64:
      ITWIN_NC(w, nc_get_vara_double(id_, varid, st.data(), ct.data(), static_cast<double*>(p)));
      break;
  }
  Cf cf = cf_of(v, id_, varid);
  if (*v.dtype == DType::F32) r.missing = apply_cf(static_cast<float*>(p), r.array.numel(), cf);
  if (*v.dtype == DType::F64) r.missing = apply_cf(static_cast<double*>(p), r.array.numel(), cf);
  return r;
}

NcRead NetcdfFile::read_stacked(const std::vector<std::string>& names,
                                const std::vector<std::string>& dims, int64_t begin, int64_t end,
                                size_t max_bytes) const {
  const std::string w = path_ + ": variables " + join(names, ", ");
  if (names.empty()) throw RuntimeError(path_ + ": no variables given to read");
  size_t largest = 0;
  for (const auto& name : names) {
    const NcVariable& v = variable(name);
    if (v.dims != dims) {
      throw RuntimeError(where(name) + ": has dimensions (" + join(v.dims, ", ") + "), expected (" +
                         join(dims, ", ") + ")");
    }
    if (!v.dtype) throw RuntimeError(where(name) + ": has type " + v.type + ", not a number");
    largest = std::max(largest, dtype_size(*v.dtype));
  }
  const NcVariable& first = variable(names.front());
  std::vector<int64_t> start, count;
  detail::rows_slab(w, first.shape, begin, end, start, count);
  std::vector<int64_t> out_shape = count;
  out_shape.push_back(static_cast<int64_t>(names.size()));
  int64_t n = 1;
  for (auto c : count) n *= c;
  // The result plus one variable's slab in its own type, before conversion.
  detail::check_budget(w, out_shape, DType::F32, max_bytes, static_cast<size_t>(n) * largest);
  NcRead out;
  out.array.dtype = DType::F32;
  out.array.shape = out_shape;
  out.array.bytes.resize(static_cast<size_t>(n) * names.size() * sizeof(float));
  auto* dst = reinterpret_cast<float*>(out.array.bytes.data());
  const size_t stride = names.size();
  for (size_t k = 0; k < names.size(); ++k) {
    NcRead r = read(names[k], start, count, std::numeric_limits<size_t>::max());
    out.missing += r.missing;
    if (r.array.dtype == DType::F32) {
      const auto* src = reinterpret_cast<const float*>(r.array.bytes.data());
      for (int64_t i = 0; i < n; ++i) dst[static_cast<size_t>(i) * stride + k] = src[i];
    } else {
      for (int64_t i = 0; i < n; ++i)
        dst[static_cast<size_t>(i) * stride + k] = static_cast<float>(r.array.at(i));
    }
  }
  return out;
}

}  // namespace itwin::data
