#include "slab.hpp"

#include <fcntl.h>
#include <hdf5.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "itwin/util/error.hpp"
#include "itwin/util/strings.hpp"

namespace itwin::data::detail {

namespace {

std::recursive_mutex& library_mutex() {
  static std::recursive_mutex m;
  return m;
}

}  // namespace

LibraryLock::LibraryLock() : lock_(library_mutex()) { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); }

std::string call_name(const char* expression) {
  std::string s(expression);
  return s.substr(0, s.find('('));
}

void check_readable(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) throw RuntimeError(path + ": cannot read: " + std::strerror(errno));
  struct stat st {};
  bool dir = ::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode);
  ::close(fd);
  if (dir) throw RuntimeError(path + ": cannot read: is a directory");
}

std::string shape_str(const std::vector<int64_t>& shape) {
  std::vector<std::string> parts;
  for (auto d : shape) parts.push_back(std::to_string(d));
  return "[" + join(parts, ", ") + "]";
}

std::string bytes_str(double bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  int u = 0;
  while (bytes >= 1024 && u < 5) bytes /= 1024, ++u;
  char buf[32];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.1f %s", bytes, units[u]);
  return buf;
}

void check_budget(const std::string& where, const std::vector<int64_t>& count, DType dtype,
                  size_t max_bytes, size_t extra) {
  // In double: a corrupt header can declare sizes whose product overflows 64 bits.
  double bytes = static_cast<double>(dtype_size(dtype));
  for (auto c : count) bytes *= static_cast<double>(c);
  if (bytes + static_cast<double>(extra) > static_cast<double>(max_bytes)) {
    throw RuntimeError(where + ": reading " + shape_str(count) + " " + dtype_name(dtype) +
                       " needs " + bytes_str(bytes + static_cast<double>(extra)) +
                       ", more than the memory budget of " +
                       bytes_str(static_cast<double>(max_bytes)) + " (read fewer rows at a time)");
  }
}

void check_slab(const std::string& where, const std::vector<int64_t>& shape,
                const std::vector<int64_t>& start, const std::vector<int64_t>& count) {
  if (start.size() != shape.size() || count.size() != shape.size()) {
    throw RuntimeError(where + ": has " + std::to_string(shape.size()) + " dimensions " +
                       shape_str(shape) + ", but the hyperslab start " + shape_str(start) +
                       " count " + shape_str(count) + " has " +
                       std::to_string(start.size() == shape.size() ? count.size() : start.size()));
  }
  for (size_t d = 0; d < shape.size(); ++d) {
    if (start[d] < 0 || count[d] < 0 || start[d] > shape[d] || count[d] > shape[d] - start[d]) {
      throw RuntimeError(where + ": hyperslab start " + shape_str(start) + " count " +
                         shape_str(count) + " is outside the shape " + shape_str(shape) +
                         " in dimension " + std::to_string(d));
    }
  }
}

void rows_slab(const std::string& where, const std::vector<int64_t>& shape, int64_t begin,
               int64_t end, std::vector<int64_t>& start, std::vector<int64_t>& count) {
  if (shape.empty()) throw RuntimeError(where + ": is a scalar; it has no rows to read");
  if (end == -1) end = shape[0];
  if (begin < 0 || end < begin || end > shape[0]) {
    throw RuntimeError(where + ": rows [" + std::to_string(begin) + ", " + std::to_string(end) +
                       ") are outside [0, " + std::to_string(shape[0]) + ")");
  }
  start.assign(shape.size(), 0);
  count = shape;
  start[0] = begin;
  count[0] = end - begin;
}

void throw_not_found(const std::string& path, const std::string& kind, const std::string& name,
                     const std::vector<std::string>& names) {
  // A file can hold thousands of variables: name the first few.
  std::vector<std::string> shown(names.begin(), names.begin() + std::min<size_t>(names.size(), 20));
  std::string list = names.empty() ? "none" : join(shown, ", ");
  if (names.size() > shown.size()) list += ", ... (" + std::to_string(names.size()) + " in all)";
  throw RuntimeError(path + ": no " + kind + " '" + name + "'" + did_you_mean(name, names) + "; " +
                     kind + "s: " + list);
}

}  // namespace itwin::data::detail
