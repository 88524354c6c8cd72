// IDX files: magic 0x0000TTDD (T = element type, D = number of dimensions),
// then D big-endian uint32 sizes, then the big-endian elements.
#include <algorithm>

#include "itwin/data/array.hpp"
#include "itwin/util/error.hpp"

namespace itwin::data {

Array read_idx(const std::string& path) {
  std::vector<unsigned char> s = read_maybe_gzip(path);
  auto fail = [&](const std::string& why) -> RuntimeError {
    return RuntimeError(path + ": not a valid IDX file: " + why);
  };
  if (s.size() < 4) throw fail("too short");
  auto u8 = [&](size_t i) { return s[i]; };
  if (u8(0) != 0 || u8(1) != 0) throw fail("bad magic number");
  Array a;
  switch (u8(2)) {
    case 0x08:
      a.dtype = DType::U8;
      break;
    case 0x09:
      a.dtype = DType::I8;
      break;
    case 0x0B:
      a.dtype = DType::I16;
      break;
    case 0x0C:
      a.dtype = DType::I32;
      break;
    case 0x0D:
      a.dtype = DType::F32;
      break;
    case 0x0E:
      a.dtype = DType::F64;
      break;
    default:
      throw fail("unknown element type 0x" + std::to_string(u8(2)));
  }
  size_t dims = u8(3);
  if (dims == 0 || s.size() < 4 + 4 * dims) throw fail("truncated header");
  for (size_t d = 0; d < dims; ++d) {
    size_t o = 4 + 4 * d;
    a.shape.push_back((int64_t(u8(o)) << 24) | (int64_t(u8(o + 1)) << 16) |
                      (int64_t(u8(o + 2)) << 8) | u8(o + 3));
  }
  size_t es = dtype_size(a.dtype);
  size_t off = 4 + 4 * dims;
  size_t need = checked_bytes(a.shape, a.dtype, path + ": not a valid IDX file");
  if (s.size() - off < need) {
    throw fail("expected " + std::to_string(need) + " bytes of data for shape " + a.shape_str() +
               ", found " + std::to_string(s.size() - off));
  }
  // The data in place: the header moved out, no second buffer.
  a.bytes = std::move(s);
  a.bytes.erase(a.bytes.begin(), a.bytes.begin() + static_cast<long>(off));
  a.bytes.resize(need);
  if (es > 1) {  // big-endian on disk
    for (size_t i = 0; i < a.bytes.size(); i += es)
      std::reverse(a.bytes.begin() + i, a.bytes.begin() + i + es);
  }
  return a;
}

}  // namespace itwin::data
