// HDF5 files through the HDF5 C library: handles, errors, and the listing of
// datasets and attributes at open. Reading values is in hdf5_read.cpp.
#include "itwin/data/hdf5.hpp"

#include <algorithm>
#include <cstring>

#include "hdf5_impl.hpp"
#include "itwin/util/error.hpp"
#include "itwin/util/strings.hpp"

namespace itwin::data {
namespace detail {

Hid& Hid::operator=(Hid&& o) noexcept {
  if (this != &o) {
    reset();
    id_ = o.id_;
    o.id_ = -1;
  }
  return *this;
}

void Hid::reset() {
  if (id_ < 0) return;
  switch (H5Iget_type(id_)) {
    case H5I_FILE:
      H5Fclose(id_);
      break;
    case H5I_GROUP:
      H5Gclose(id_);
      break;
    case H5I_DATATYPE:
      H5Tclose(id_);
      break;
    case H5I_DATASPACE:
      H5Sclose(id_);
      break;
    case H5I_DATASET:
      H5Dclose(id_);
      break;
    case H5I_ATTR:
      H5Aclose(id_);
      break;
    case H5I_GENPROP_LST:
      H5Pclose(id_);
      break;
    default:
      H5Idec_ref(id_);
      break;
  }
  id_ = -1;
}

std::string h5_reason() {
  std::vector<std::string> messages;
  H5Ewalk2(
      H5E_DEFAULT, H5E_WALK_DOWNWARD,
      [](unsigned, const H5E_error2_t* e, void* out) -> herr_t {
        static_cast<std::vector<std::string>*>(out)->push_back(e->desc ? e->desc : "");
        return 0;
      },
      &messages);
  H5Eclear2(H5E_DEFAULT);
  if (messages.empty()) return "unknown HDF5 error";
  if (messages.size() == 1 || messages.front() == messages.back()) return messages.front();
  return messages.front() + " (" + messages.back() + ")";
}

hid_t native(DType t) {
  switch (t) {
    case DType::I8:
      return H5T_NATIVE_SCHAR;
    case DType::U8:
    case DType::Bool:
      return H5T_NATIVE_UCHAR;
    case DType::I16:
      return H5T_NATIVE_SHORT;
    case DType::I32:
      return H5T_NATIVE_INT;
    case DType::I64:
      return H5T_NATIVE_INT64;
    case DType::F32:
      return H5T_NATIVE_FLOAT;
    case DType::F64:
      return H5T_NATIVE_DOUBLE;
  }
  return H5T_NATIVE_UCHAR;
}

void h5_fail(const char* expression, const std::string& where) {
  throw RuntimeError(where + ": " + call_name(expression) + " failed: " + h5_reason());
}

}  // namespace detail

namespace {

using detail::Hid;

/// Name and read dtype of a dataset's type; nullopt dtype when not a number.
std::pair<std::string, std::optional<DType>> classify(hid_t type, const std::string& w) {
  const size_t size = H5Tget_size(type);
  switch (H5Tget_class(type)) {
    case H5T_INTEGER: {
      const bool sign = ITWIN_H5(w, H5Tget_sign(type)) == H5T_SGN_2;
      const std::string name = (sign ? "int" : "uint") + std::to_string(8 * size);
      switch (size) {
        case 1:
          return {name, sign ? DType::I8 : DType::U8};
        case 2:
          return {name, sign ? DType::I16 : DType::I32};  // uint16 widened
        case 4:
          return {name, sign ? DType::I32 : DType::I64};  // uint32 widened
        default:
          return {name, sign ? DType::I64 : DType::F64};
      }
    }
    case H5T_FLOAT:
      return {"float" + std::to_string(8 * size), size <= 4 ? DType::F32 : DType::F64};
    case H5T_ENUM: {
      // h5py writes bool as an int8 enum {FALSE, TRUE}; other enums read as
      // their integer values when those fit a DType of the same size.
      Hid base(ITWIN_H5(w, H5Tget_super(type)));
      const bool sign = ITWIN_H5(w, H5Tget_sign(base.get())) == H5T_SGN_2;
      char* first = H5Tget_member_name(type, 0);
      const bool is_bool =
          size == 1 && H5Tget_nmembers(type) == 2 && first && std::strcmp(first, "FALSE") == 0;
      if (first) H5free_memory(first);
      if (is_bool) return {"bool", DType::Bool};
      if (size == 1) return {"enum", sign ? DType::I8 : DType::U8};
      if (sign && size == 2) return {"enum", DType::I16};
      if (sign && size == 4) return {"enum", DType::I32};
      if (sign && size == 8) return {"enum", DType::I64};
      return {"enum", std::nullopt};
    }
    case H5T_STRING:
      return {"string", std::nullopt};
    case H5T_COMPOUND:
      return {"compound", std::nullopt};
    case H5T_ARRAY:
      return {"array", std::nullopt};
    case H5T_VLEN:
      return {"vlen", std::nullopt};
    case H5T_OPAQUE:
      return {"opaque", std::nullopt};
    case H5T_REFERENCE:
      return {"reference", std::nullopt};
    case H5T_BITFIELD:
      return {"bitfield", std::nullopt};
    default:
      detail::h5_fail("H5Tget_class", w);
  }
}

Attribute read_attribute(hid_t attr, const std::string& name, const std::string& w) {
  Attribute a{name, {}, {}};
  Hid type(ITWIN_H5(w, H5Aget_type(attr)));
  Hid space(ITWIN_H5(w, H5Aget_space(attr)));
  const auto n = static_cast<size_t>(ITWIN_H5(w, H5Sget_simple_extent_npoints(space.get())));
  const H5T_class_t cls = H5Tget_class(type.get());
  if (cls == H5T_INTEGER || cls == H5T_FLOAT) {
    a.numbers.resize(n);
    if (n) ITWIN_H5(w, H5Aread(attr, H5T_NATIVE_DOUBLE, a.numbers.data()));
  } else if (cls == H5T_STRING && ITWIN_H5(w, H5Tis_variable_str(type.get())) > 0) {
    std::vector<char*> texts(n, nullptr);
    Hid mem(ITWIN_H5(w, H5Tcopy(H5T_C_S1)));
    ITWIN_H5(w, H5Tset_size(mem.get(), H5T_VARIABLE));
    ITWIN_H5(w, H5Tset_cset(mem.get(), H5Tget_cset(type.get())));
    if (n) ITWIN_H5(w, H5Aread(attr, mem.get(), texts.data()));
    for (char* t : texts) {
      a.texts.push_back(t ? t : "");
      if (t) H5free_memory(t);
    }
  } else if (cls == H5T_STRING) {
    const size_t size = H5Tget_size(type.get());
    std::string buf(n * size, '\0');
    Hid mem(ITWIN_H5(w, H5Tcopy(type.get())));
    if (n && size) ITWIN_H5(w, H5Aread(attr, mem.get(), buf.data()));
    for (size_t i = 0; i < n; ++i) {
      std::string t = buf.substr(i * size, size);
      a.texts.push_back(t.substr(0, std::strlen(t.c_str())));
    }
  }  // other types: listed by name, value not read
  return a;
}

std::vector<Attribute> read_attributes(hid_t object, const std::string& w) {
  struct Ctx {
    std::vector<Attribute> out;
    std::string w;
    std::string error;
  } ctx{{}, w, {}};
  auto visit = [](hid_t loc, const char* name, const H5A_info_t*, void* data) -> herr_t {
    auto* c = static_cast<Ctx*>(data);
    try {
      Hid attr(ITWIN_H5(c->w, H5Aopen(loc, name, H5P_DEFAULT)));
      c->out.push_back(read_attribute(attr.get(), name, c->w + " attribute '" + name + "'"));
      return 0;
    } catch (const std::exception& e) {  // never let an exception cross the C library
      c->error = e.what();
      return -1;
    }
  };
  hsize_t idx = 0;
  herr_t rc = H5Aiterate2(object, H5_INDEX_NAME, H5_ITER_INC, &idx, visit, &ctx);
  if (!ctx.error.empty()) throw RuntimeError(ctx.error);
  if (rc < 0) detail::h5_fail("H5Aiterate2", w);
  return ctx.out;
}

H5Dataset describe(hid_t ds, const std::string& name, const std::string& w) {
  H5Dataset d;
  d.name = name;
  Hid space(ITWIN_H5(w, H5Dget_space(ds)));
  const int rank = ITWIN_H5(w, H5Sget_simple_extent_ndims(space.get()));
  std::vector<hsize_t> dims(static_cast<size_t>(rank) + 1);
  ITWIN_H5(w, H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr));
  d.shape.assign(dims.begin(), dims.begin() + rank);
  Hid type(ITWIN_H5(w, H5Dget_type(ds)));
  std::tie(d.type, d.dtype) = classify(type.get(), w);
  Hid dcpl(ITWIN_H5(w, H5Dget_create_plist(ds)));
  if (H5Pget_layout(dcpl.get()) == H5D_CHUNKED) {
    std::vector<hsize_t> chunks(static_cast<size_t>(rank) + 1);
    ITWIN_H5(w, H5Pget_chunk(dcpl.get(), rank, chunks.data()));
    d.chunks.assign(chunks.begin(), chunks.begin() + rank);
  }
  const int nfilters = ITWIN_H5(w, H5Pget_nfilters(dcpl.get()));
  for (int i = 0; i < nfilters; ++i) {
    char fname[64] = {};
    unsigned flags = 0, config = 0;
    size_t nvalues = 0;
    H5Pget_filter2(dcpl.get(), static_cast<unsigned>(i), &flags, &nvalues, nullptr, sizeof fname,
                   fname, &config);
    d.filters.push_back(fname[0] ? fname : "filter " + std::to_string(i));
  }
  d.attributes = read_attributes(ds, w);
  return d;
}

std::string canonical(const std::string& name) {
  return starts_with(name, "/") ? name.substr(1) : name;
}

}  // namespace

std::string H5Dataset::describe() const {
  std::string s = name + " " + detail::shape_str(shape) + " " + type;
  if (!chunks.empty()) s += " chunks " + detail::shape_str(chunks);
  if (!filters.empty()) s += " " + join(filters, "+");
  return s;
}

Hdf5File::Hdf5File(const std::string& path) : path_(path), impl_(std::make_unique<Impl>()) {
  detail::check_readable(path);
  detail::LibraryLock lock;
  hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  if (f < 0) throw RuntimeError(path + ": cannot open as HDF5: " + detail::h5_reason());
  impl_->file = Hid(f);
  try {
    load();
  } catch (...) {
    impl_.reset();  // closes the file while the session's lock is held
    throw;
  }
}

void Hdf5File::load() {
  const std::string& path = path_;
  const hid_t f = impl_->file.get();
  // Every hard link in the file, then keep those that name datasets.
  std::vector<std::string> links;
  auto visit = [](hid_t, const char* name, const H5L_info_t* info, void* out) -> herr_t {
    if (info->type == H5L_TYPE_HARD) static_cast<std::vector<std::string>*>(out)->push_back(name);
    return 0;
  };
  ITWIN_H5(path, H5Lvisit(f, H5_INDEX_NAME, H5_ITER_INC, visit, &links));
  for (const auto& name : links) {
    const std::string w = path + ": dataset '" + name + "'";
    Hid obj(ITWIN_H5(path + ": object '" + name + "'", H5Oopen(f, name.c_str(), H5P_DEFAULT)));
    if (H5Iget_type(obj.get()) == H5I_DATASET) datasets_.push_back(describe(obj.get(), name, w));
  }
  std::sort(datasets_.begin(), datasets_.end(),
            [](const H5Dataset& a, const H5Dataset& b) { return a.name < b.name; });
  Hid root(ITWIN_H5(path, H5Gopen2(f, "/", H5P_DEFAULT)));
  attrs_ = read_attributes(root.get(), path);
}

Hdf5File::~Hdf5File() {
  detail::LibraryLock lock;
  impl_.reset();
}

const H5Dataset* Hdf5File::find(const std::string& name) const {
  const std::string c = canonical(name);
  for (const auto& d : datasets_)
    if (d.name == c) return &d;
  return nullptr;
}

const H5Dataset& Hdf5File::dataset(const std::string& name) const {
  if (const H5Dataset* d = find(name)) return *d;
  std::vector<std::string> names;
  for (const auto& d : datasets_) names.push_back(d.name);
  detail::throw_not_found(path_, "dataset", canonical(name), names);
}

}  // namespace itwin::data
