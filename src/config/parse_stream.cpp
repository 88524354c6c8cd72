// The streaming keys of `hdf5` and `netcdf` data sets: stream, max_memory,
// block_rows / block_steps, prefetch.
#include <cctype>
#include <cmath>

#include "parse_steps.hpp"

namespace itwin::config {

int64_t parse_bytes(const std::string& text) {
  size_t i = 0;
  while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.'))
    ++i;
  if (i == 0) return -1;
  double v = 0;
  try {
    v = std::stod(text.substr(0, i));
  } catch (...) {
    return -1;
  }
  std::string unit = text.substr(i);
  while (!unit.empty() && unit.front() == ' ') unit.erase(0, 1);
  static const std::pair<const char*, double> units[] = {{"", 1},
                                                         {"B", 1},
                                                         {"KB", 1e3},
                                                         {"MB", 1e6},
                                                         {"GB", 1e9},
                                                         {"TB", 1e12},
                                                         {"KiB", 1024.0},
                                                         {"MiB", 1048576.0},
                                                         {"GiB", 1073741824.0},
                                                         {"TiB", 1099511627776.0}};
  for (const auto& [name, scale] : units) {
    if (unit == name) {
      const double b = std::floor(v * scale);
      return b >= 9.2e18 ? -1 : static_cast<int64_t>(b);
    }
  }
  return -1;
}

void parse_stream(Reader& r, DatasetSpec& d, const char* block_key) {
  StreamSpec& s = d.stream;
  const std::string mode = r.get_string("stream", "false");
  if (mode == "false") {
    s.mode = StreamMode::Off;
  } else if (mode == "true") {
    s.mode = StreamMode::On;
  } else if (mode == "auto") {
    s.mode = StreamMode::Auto;
  } else {
    r.fail("stream", "must be true, false or auto; got '" + mode + "'");
  }
  if (r.has("max_memory")) {
    const std::string text = r.get_string("max_memory", "");
    s.max_memory = parse_bytes(text);
    if (s.max_memory < 1)
      r.fail("max_memory",
             "must be a size such as 2GiB, 512MiB, 1.5GB or a number of bytes; got '" + text + "'");
  }
  s.block = r.get_int(block_key, s.block, 1, int64_t{1} << 31);
  s.prefetch = r.get_int("prefetch", s.prefetch, 1, 64);
}

}  // namespace itwin::config
