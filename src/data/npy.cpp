// NumPy .npy and .npz readers.
#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <regex>

#include "itwin/data/array.hpp"
#include "itwin/util/error.hpp"
#include "itwin/util/fs.hpp"
#include "itwin/util/strings.hpp"

namespace itwin::data {
namespace {

uint64_t le(const std::string& s, size_t off, int n) {
  uint64_t v = 0;
  for (int i = n - 1; i >= 0; --i)
    v = (v << 8) | static_cast<unsigned char>(s.at(off + static_cast<size_t>(i)));
  return v;
}

DType dtype_of(const std::string& descr, const std::string& name) {
  static const std::pair<const char*, DType> table[] = {
      {"|u1", DType::U8},  {"|i1", DType::I8},  {"|b1", DType::Bool}, {"<i2", DType::I16},
      {"<i4", DType::I32}, {"<i8", DType::I64}, {"<f4", DType::F32},  {"<f8", DType::F64},
      {"<u1", DType::U8},  {"<i1", DType::I8}};
  for (const auto& [d, t] : table)
    if (descr == d) return t;
  throw RuntimeError(
      name + ": unsupported NumPy dtype '" + descr +
      "' (supported: uint8, int8, bool, int16, int32, int64, float32, float64, little-endian)");
}

}  // namespace

static Array parse_npy_unchecked(const std::string& s, const std::string& name) {
  if (s.size() < 10 || s.compare(0, 6, "\x93NUMPY") != 0)
    throw RuntimeError(name + ": not a .npy file (bad magic)");
  int major = static_cast<unsigned char>(s[6]);
  if (major < 1 || major > 3)
    throw RuntimeError(name + ": unsupported .npy format version " + std::to_string(major));
  size_t hlen = major == 1 ? le(s, 8, 2) : le(s, 8, 4);
  size_t hstart = major == 1 ? 10 : 12;
  if (s.size() < hstart + hlen) throw RuntimeError(name + ": truncated .npy header");
  std::string header = s.substr(hstart, hlen);
  std::smatch m;
  if (!std::regex_search(header, m, std::regex("'descr'\\s*:\\s*'([^']+)'"))) {
    throw RuntimeError(name + ": .npy header has no descr");
  }
  Array a;
  a.dtype = dtype_of(m[1], name);
  if (std::regex_search(header, m, std::regex("'fortran_order'\\s*:\\s*True"))) {
    throw RuntimeError(
        name + ": Fortran-ordered arrays are not supported (save with np.ascontiguousarray)");
  }
  if (!std::regex_search(header, m, std::regex("'shape'\\s*:\\s*\\(([^)]*)\\)"))) {
    throw RuntimeError(name + ": .npy header has no shape");
  }
  for (const auto& part : split(m[1], ',')) {
    std::string t = trim(part);
    if (t.empty()) continue;
    if (t.size() > 18 || t.find_first_not_of("0123456789") != std::string::npos) {
      throw RuntimeError(name + ": .npy header has a shape entry that is not a size: '" + t + "'");
    }
    a.shape.push_back(std::stoll(t));
  }
  size_t off = hstart + hlen;
  size_t need = checked_bytes(a.shape, a.dtype, name);
  if (s.size() - off < need) {
    throw RuntimeError(name + ": truncated .npy data: shape " + a.shape_str() + " needs " +
                       std::to_string(need) + " bytes, file has " + std::to_string(s.size() - off));
  }
  a.bytes.assign(s.begin() + static_cast<long>(off), s.begin() + static_cast<long>(off + need));
  return a;
}

Array parse_npy(const std::string& s, const std::string& name) {
  try {
    return parse_npy_unchecked(s, name);
  } catch (const std::out_of_range&) {  // a read past the end of the bytes
    throw RuntimeError(name + ": truncated or corrupt .npy file");
  }
}

Array read_npy(const std::string& path) { return parse_npy(read_file(path), path); }

static std::map<std::string, Array> read_npz_unchecked(const std::string& path,
                                                       const std::string& z);

std::map<std::string, Array> read_npz(const std::string& path) {
  std::string z = read_file(path);
  try {
    return read_npz_unchecked(path, z);
  } catch (const std::out_of_range&) {  // a read past the end of the bytes
    throw RuntimeError(path + ": truncated or corrupt .npz (zip) file");
  }
}

static std::map<std::string, Array> read_npz_unchecked(const std::string& path,
                                                       const std::string& z) {
  // End of central directory: the last "PK\5\6" within 64 KiB of the end.
  size_t eocd = std::string::npos;
  const long last = static_cast<long>(z.size()) - 22, first = std::max(0L, last - 65535);
  for (long i = last; i >= first; --i) {
    if (z.compare(static_cast<size_t>(i), 4, "PK\x05\x06") == 0) {
      eocd = static_cast<size_t>(i);
      break;
    }
  }
  if (eocd == std::string::npos) throw RuntimeError(path + ": not a .npz (zip) file");
  size_t entries = le(z, eocd + 10, 2);
  size_t cd = le(z, eocd + 16, 4);
  std::map<std::string, Array> out;
  for (size_t k = 0; k < entries; ++k) {
    if (cd + 46 > z.size() || z.compare(cd, 4, "PK\x01\x02") != 0)
      throw RuntimeError(path + ": corrupt zip directory");
    int method = static_cast<int>(le(z, cd + 10, 2));
    uint64_t csize = le(z, cd + 20, 4), usize = le(z, cd + 24, 4);
    size_t nlen = le(z, cd + 28, 2), xlen = le(z, cd + 30, 2), clen = le(z, cd + 32, 2);
    uint64_t local = le(z, cd + 42, 4);
    if (cd + 46 + nlen + xlen + clen > z.size())
      throw RuntimeError(path + ": corrupt zip directory");
    std::string fname = z.substr(cd + 46, nlen);
    // zip64 extra field (numpy writes it with force_zip64): only the fields
    // that are 0xFFFFFFFF in the record, in this order.
    for (size_t x = cd + 46 + nlen; x + 4 <= cd + 46 + nlen + xlen;) {
      size_t id = le(z, x, 2), sz = le(z, x + 2, 2), p = x + 4;
      if (id == 1) {
        if (usize == 0xFFFFFFFF) usize = le(z, p, 8), p += 8;
        if (csize == 0xFFFFFFFF) csize = le(z, p, 8), p += 8;
        if (local == 0xFFFFFFFF) local = le(z, p, 8);
      }
      x += 4 + sz;
    }
    cd += 46 + nlen + xlen + clen;
    if (local > z.size() || z.size() - local < 30)
      throw RuntimeError(path + ": corrupt zip entry " + fname);
    size_t data = local + 30 + le(z, local + 26, 2) + le(z, local + 28, 2);
    if (data > z.size() || csize > z.size() - data)
      throw RuntimeError(path + ": truncated zip entry " + fname);
    std::string bytes;
    if (method == 0) {
      if (usize != csize)
        throw RuntimeError(path + ": zip entry " + fname +
                           " is stored but its sizes differ (corrupt)");
      bytes = z.substr(data, csize);
    } else if (method == 8) {
      if (usize > memory_budget()) {
        throw RuntimeError(path + ": zip entry " + fname + " declares " +
                           format_bytes(static_cast<double>(usize)) + ", more than the " +
                           format_bytes(static_cast<double>(memory_budget())) +
                           " of memory available");
      }
      if (csize > UINT32_MAX || usize > UINT32_MAX) {
        throw RuntimeError(path + ": zip entry " + fname +
                           " is larger than 4 GiB compressed; save it uncompressed (np.savez)");
      }
      bytes.resize(usize);
      z_stream zs{};
      inflateInit2(&zs, -MAX_WBITS);
      zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(z.data() + data));
      zs.avail_in = static_cast<uInt>(csize);
      zs.next_out = reinterpret_cast<Bytef*>(bytes.data());
      zs.avail_out = static_cast<uInt>(usize);
      int rc = inflate(&zs, Z_FINISH);
      inflateEnd(&zs);
      if (rc != Z_STREAM_END || zs.total_out != usize)
        throw RuntimeError(path + ": corrupt compressed entry " + fname);
    } else {
      throw RuntimeError(path + ": zip entry " + fname + " uses unsupported compression " +
                         std::to_string(method));
    }
    std::string key = ends_with(fname, ".npy") ? fname.substr(0, fname.size() - 4) : fname;
    out[key] = parse_npy(bytes, path + ":" + fname);
  }
  return out;
}

}  // namespace itwin::data
