#pragma once
// HDF5 C handles and return codes (private to src/data): one RAII handle for
// every kind of hid_t, one check for every call, and the open datasets of a
// file with their chunk caches.

#include <hdf5.h>

#include <map>
#include <string>

#include "itwin/data/hdf5.hpp"
#include "slab.hpp"

namespace itwin::data::detail {

/// Owns one HDF5 identifier and closes it with the call its kind needs.
class Hid {
 public:
  Hid() = default;
  explicit Hid(hid_t id) : id_(id) {}
  ~Hid() { reset(); }
  Hid(Hid&& o) noexcept : id_(o.id_) { o.id_ = -1; }
  Hid& operator=(Hid&& o) noexcept;
  Hid(const Hid&) = delete;
  Hid& operator=(const Hid&) = delete;
  hid_t get() const { return id_; }
  void reset();

 private:
  hid_t id_ = -1;
};

/// HDF5's reason for the last failure: the outermost and the innermost
/// message of its error stack ("unable to open file (file signature not found)").
std::string h5_reason();

/// The native HDF5 type of an element type (Bool as unsigned char, as h5py does).
hid_t native(DType t);

[[noreturn]] void h5_fail(const char* expression, const std::string& where);

template <typename T>
T h5_check(T value, const char* expression, const std::string& where) {
  if (value < 0) h5_fail(expression, where);
  return value;
}

}  // namespace itwin::data::detail

/// Checks an HDF5 call (negative = failure); the error names the call, `where`
/// (file, dataset) and HDF5's reason. Returns the call's value.
#define ITWIN_H5(where, call) ::itwin::data::detail::h5_check((call), #call, (where))

namespace itwin::data {

struct Hdf5File::Impl {
  detail::Hid file;  // declared first: closed after the datasets
  std::map<std::string, detail::Hid> open;

  /// The dataset, opened once with a chunk cache that holds two of its chunks.
  hid_t dataset(const H5Dataset& d, const std::string& where);
};

}  // namespace itwin::data
