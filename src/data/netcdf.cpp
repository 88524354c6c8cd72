// NetCDF files through NetCDF-C: the header (dimensions, variables,
// attributes) once at open, values on request (netcdf_read.cpp).
#include "itwin/data/netcdf.hpp"

#include <netcdf.h>

#include <algorithm>
#include <cstring>

#include "hdf5_impl.hpp"
#include "itwin/util/error.hpp"
#include "itwin/util/strings.hpp"
#include "netcdf_check.hpp"
#include "slab.hpp"

namespace itwin::data {
namespace detail {

std::string nc_reason(int status) {
  std::string s = nc_strerror(status);
  if (starts_with(s, "NetCDF: ")) s = s.substr(8);
  if (status == NC_EHDFERR)
    s += " (HDF5 could not read the file's structure or data: corrupt or truncated?)";
  return s;
}

void nc_check(int status, const char* expression, const std::string& where) {
  if (status == NC_NOERR) return;
  throw RuntimeError(where + ": " + call_name(expression) + " failed: " + nc_reason(status));
}

}  // namespace detail

namespace {

std::vector<Attribute> read_attributes(int id, int varid, int count, const std::string& where) {
  std::vector<Attribute> out;
  for (int i = 0; i < count; ++i) {
    char name[NC_MAX_NAME + 1] = {};
    ITWIN_NC(where, nc_inq_attname(id, varid, i, name));
    nc_type type;
    size_t len;
    ITWIN_NC(where, nc_inq_att(id, varid, name, &type, &len));
    Attribute a{name, {}, {}};
    std::string at = where + " attribute '" + a.name + "'";
    if (type == NC_CHAR) {
      std::string text(len, '\0');
      if (len) ITWIN_NC(at, nc_get_att_text(id, varid, name, text.data()));
      a.texts.push_back(text.substr(0, std::strlen(text.c_str())));  // C writers add a NUL
    } else if (type == NC_STRING) {
      std::vector<char*> texts(len);
      if (len) ITWIN_NC(at, nc_get_att_string(id, varid, name, texts.data()));
      for (char* t : texts) a.texts.push_back(t ? t : "");
      if (len) nc_free_string(len, texts.data());
    } else if (type >= NC_BYTE && type <= NC_UINT64) {
      a.numbers.resize(len);
      if (len) ITWIN_NC(at, nc_get_att_double(id, varid, name, a.numbers.data()));
    }  // user-defined types: listed by name, value not read
    out.push_back(std::move(a));
  }
  return out;
}

std::optional<DType> raw_dtype(nc_type t) {
  switch (t) {
    case NC_BYTE:
      return DType::I8;
    case NC_UBYTE:
      return DType::U8;
    case NC_SHORT:
      return DType::I16;
    case NC_USHORT:
      return DType::I32;  // widened: the DType set has no uint16
    case NC_INT:
      return DType::I32;
    case NC_UINT:
      return DType::I64;
    case NC_INT64:
      return DType::I64;
    case NC_UINT64:
      return DType::F64;
    case NC_FLOAT:
      return DType::F32;
    case NC_DOUBLE:
      return DType::F64;
    default:
      return std::nullopt;  // char, string, user-defined
  }
}

bool narrow(nc_type t) { return t == NC_BYTE || t == NC_UBYTE || t == NC_SHORT || t == NC_USHORT; }

/// What read() returns: integers that can be missing or are packed become
/// floats (NaN needs one); float32 where that is exact, float64 otherwise.
std::optional<DType> read_dtype(nc_type t, const NcVariable& v, int id, int varid) {
  auto raw = raw_dtype(t);
  if (!raw) return raw;
  if (v.packed) {
    bool wide = t == NC_DOUBLE || !(narrow(t) || t == NC_FLOAT);
    for (const char* name : {"scale_factor", "add_offset"}) {
      nc_type at;
      if (nc_inq_atttype(id, varid, name, &at) == NC_NOERR && at == NC_DOUBLE) wide = true;
    }
    return wide ? DType::F64 : DType::F32;
  }
  if (v.masked && dtype_is_integral(*raw)) return narrow(t) ? DType::F32 : DType::F64;
  return raw;
}

const char* format_name(int f) {
  switch (f) {
    case NC_FORMAT_CLASSIC:
      return "classic";
    case NC_FORMAT_64BIT_OFFSET:
      return "64-bit offset";
    case NC_FORMAT_CDF5:
      return "CDF-5";
    case NC_FORMAT_NETCDF4:
      return "netCDF-4";
    case NC_FORMAT_NETCDF4_CLASSIC:
      return "netCDF-4 classic model";
    default:
      return "unknown";
  }
}

}  // namespace

std::string NcVariable::describe() const {
  std::vector<std::string> d;
  for (size_t i = 0; i < dims.size(); ++i) d.push_back(dims[i] + "=" + std::to_string(shape[i]));
  std::string s = name + "(" + join(d, ", ") + ") " + type;
  s += dtype ? std::string(" -> ") + dtype_name(*dtype) : " (not numeric)";
  if (const Attribute* u = find_attribute(attributes, "units")) s += " '" + u->text() + "'";
  return s;
}

NetcdfFile::NetcdfFile(const std::string& path) : path_(path) {
  detail::check_readable(path);
  detail::check_classic_length(path);
  detail::LibraryLock lock;
  int status = nc_open(path.c_str(), NC_NOWRITE, &id_);
  if (status != NC_NOERR) {
    id_ = -1;
    // NetCDF-4 files are HDF5 files, and NetCDF-C keeps HDF5's reason to itself: ask HDF5.
    std::string reason = detail::nc_reason(status);
    if (status == NC_EHDFERR) {
      hid_t probe = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
      if (probe < 0)
        reason = "HDF5: " + detail::h5_reason();
      else
        H5Fclose(probe);
    }
    throw RuntimeError(path + ": cannot open as NetCDF: " + reason);
  }
  try {
    int fmt = 0, ndims = 0, nvars = 0, natts = 0, nunlim = 0;
    ITWIN_NC(path, nc_inq_format(id_, &fmt));
    format_ = format_name(fmt);
    ITWIN_NC(path, nc_inq_dimids(id_, &ndims, nullptr, 0));
    std::vector<int> dimids(static_cast<size_t>(ndims)), unlim(static_cast<size_t>(ndims) + 1);
    ITWIN_NC(path, nc_inq_dimids(id_, &ndims, dimids.data(), 0));
    ITWIN_NC(path, nc_inq_unlimdims(id_, &nunlim, unlim.data()));
    for (int d : dimids) {
      char name[NC_MAX_NAME + 1] = {};
      size_t len;
      ITWIN_NC(path, nc_inq_dim(id_, d, name, &len));
      bool u = std::find(unlim.begin(), unlim.begin() + nunlim, d) != unlim.begin() + nunlim;
      dims_.push_back({name, static_cast<int64_t>(len), u});
    }
    ITWIN_NC(path, nc_inq_natts(id_, &natts));
    attrs_ = read_attributes(id_, NC_GLOBAL, natts, path);
    ITWIN_NC(path, nc_inq_nvars(id_, &nvars));
    for (int v = 0; v < nvars; ++v) {
      char name[NC_MAX_NAME + 1] = {};
      nc_type type;
      int rank = 0;
      int vdims[NC_MAX_VAR_DIMS];
      ITWIN_NC(path, nc_inq_var(id_, v, name, &type, &rank, vdims, &natts));
      NcVariable var;
      var.name = name;
      std::string w = where(var.name);
      char tname[NC_MAX_NAME + 1] = {};
      size_t tsize;
      ITWIN_NC(w, nc_inq_type(id_, type, tname, &tsize));
      var.type = tname;
      for (int i = 0; i < rank; ++i) {
        char dname[NC_MAX_NAME + 1] = {};
        size_t len;
        ITWIN_NC(w, nc_inq_dim(id_, vdims[i], dname, &len));
        var.dims.push_back(dname);
        var.shape.push_back(static_cast<int64_t>(len));
      }
      if ((fmt == NC_FORMAT_NETCDF4 || fmt == NC_FORMAT_NETCDF4_CLASSIC) && rank > 0) {
        int storage;
        std::vector<size_t> chunks(static_cast<size_t>(rank));
        ITWIN_NC(w, nc_inq_var_chunking(id_, v, &storage, chunks.data()));
        if (storage == NC_CHUNKED) var.chunks.assign(chunks.begin(), chunks.end());
      }
      var.attributes = read_attributes(id_, v, natts, w);
      var.masked = find_attribute(var.attributes, "_FillValue") ||
                   find_attribute(var.attributes, "missing_value");
      for (const char* p : {"scale_factor", "add_offset"}) {
        const Attribute* a = find_attribute(var.attributes, p);
        if (a && a->number()) var.packed = true;
      }
      var.dtype = read_dtype(type, var, id_, v);
      vars_.push_back(std::move(var));
    }
  } catch (...) {
    nc_close(id_);
    throw;
  }
}

NetcdfFile::~NetcdfFile() {
  if (id_ < 0) return;
  detail::LibraryLock lock;
  nc_close(id_);
}

std::string NetcdfFile::where(const std::string& variable) const {
  return path_ + ": variable '" + variable + "'";
}

const NcVariable* NetcdfFile::find(const std::string& name) const {
  for (const auto& v : vars_)
    if (v.name == name) return &v;
  return nullptr;
}

const NcVariable& NetcdfFile::variable(const std::string& name) const {
  if (const NcVariable* v = find(name)) return *v;
  std::vector<std::string> names;
  for (const auto& v : vars_) names.push_back(v.name);
  detail::throw_not_found(path_, "variable", name, names);
}

}  // namespace itwin::data
