#pragma once
// Shared by the NetCDF and HDF5 readers (private to src/data): the library
// lock, the memory budget and the checks of a requested hyperslab, so that
// both readers say the same things in the same words.

#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "itwin/data/array.hpp"

namespace itwin::data::detail {

/// Held around every use of NetCDF-C or HDF5: one process-wide lock (NetCDF-C
/// is not thread-safe, and reads NetCDF-4 files through the same HDF5), and
/// HDF5's printing of error stacks to stderr switched off in this thread
/// (HDF5 keeps that switch per thread; the readers report errors themselves).
class LibraryLock {
 public:
  LibraryLock();

 private:
  std::lock_guard<std::recursive_mutex> lock_;
};

/// "nc_get_vara(id, v, ...)" -> "nc_get_vara": names a C call in a message.
std::string call_name(const char* expression);

/// Throws "PATH: cannot read: <reason>" when the file cannot be opened for
/// reading or is a directory, before a library gives a vaguer reason.
void check_readable(const std::string& path);

/// "[1825, 300]".
std::string shape_str(const std::vector<int64_t>& shape);

/// "12.3 MiB".
std::string bytes_str(double bytes);

/// Throws when `count` elements of `dtype` (plus `extra` bytes of temporary
/// storage) exceed `max_bytes`; `where` names the file and the variable.
void check_budget(const std::string& where, const std::vector<int64_t>& count, DType dtype,
                  size_t max_bytes, size_t extra = 0);

/// Throws unless start/count select a hyperslab inside `shape`.
void check_slab(const std::string& where, const std::vector<int64_t>& shape,
                const std::vector<int64_t>& start, const std::vector<int64_t>& count);

/// The hyperslab of rows [begin, end) of the first dimension (end = -1: all).
void rows_slab(const std::string& where, const std::vector<int64_t>& shape, int64_t begin,
               int64_t end, std::vector<int64_t>& start, std::vector<int64_t>& count);

/// Throws "PATH: no KIND 'name' (did you mean 'x'?); KINDs: a, b, c".
[[noreturn]] void throw_not_found(const std::string& path, const std::string& kind,
                                  const std::string& name, const std::vector<std::string>& names);

}  // namespace itwin::data::detail
