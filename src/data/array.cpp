#include "itwin/data/array.hpp"

#include <zlib.h>

#include <cstring>
#include <sstream>

#include "itwin/util/error.hpp"
#include "itwin/util/fs.hpp"
#include "itwin/util/strings.hpp"
#include "itwin/util/sysinfo.hpp"

namespace itwin::data {

const char* dtype_name(DType t) {
  switch (t) {
    case DType::U8:
      return "uint8";
    case DType::I8:
      return "int8";
    case DType::I16:
      return "int16";
    case DType::I32:
      return "int32";
    case DType::I64:
      return "int64";
    case DType::F32:
      return "float32";
    case DType::F64:
      return "float64";
    case DType::Bool:
      return "bool";
  }
  return "?";
}

size_t dtype_size(DType t) {
  switch (t) {
    case DType::U8:
    case DType::I8:
    case DType::Bool:
      return 1;
    case DType::I16:
      return 2;
    case DType::I32:
    case DType::F32:
      return 4;
    case DType::I64:
    case DType::F64:
      return 8;
  }
  return 1;
}

bool dtype_is_integral(DType t) { return t != DType::F32 && t != DType::F64; }

int64_t Array::numel() const {
  int64_t n = 1;
  for (auto d : shape) n *= d;
  return n;
}

double Array::at(int64_t i) const {
  const unsigned char* p = bytes.data() + static_cast<size_t>(i) * dtype_size(dtype);
  switch (dtype) {
    case DType::U8:
      return *p;
    case DType::Bool:
      return *p ? 1 : 0;
    case DType::I8:
      return static_cast<int8_t>(*p);
    case DType::I16: {
      int16_t v;
      std::memcpy(&v, p, 2);
      return v;
    }
    case DType::I32: {
      int32_t v;
      std::memcpy(&v, p, 4);
      return v;
    }
    case DType::I64: {
      int64_t v;
      std::memcpy(&v, p, 8);
      return static_cast<double>(v);
    }
    case DType::F32: {
      float v;
      std::memcpy(&v, p, 4);
      return v;
    }
    case DType::F64: {
      double v;
      std::memcpy(&v, p, 8);
      return v;
    }
  }
  return 0;
}

std::string Array::shape_str() const {
  std::ostringstream s;
  s << "[";
  for (size_t i = 0; i < shape.size(); ++i) s << (i ? ", " : "") << shape[i];
  s << "]";
  return s.str();
}

size_t checked_bytes(const std::vector<int64_t>& shape, DType t, const std::string& what) {
  const size_t budget = memory_budget();
  unsigned __int128 n = dtype_size(t);
  for (int64_t d : shape) {
    if (d < 0) throw RuntimeError(what + ": negative dimension " + std::to_string(d));
    n *= static_cast<uint64_t>(d);
    if (n > budget) {
      std::string dims;
      for (int64_t x : shape) dims += (dims.empty() ? "" : ", ") + std::to_string(x);
      throw RuntimeError(what + ": shape [" + dims + "] of " + dtype_name(t) +
                         " needs more than the " + format_bytes(static_cast<double>(budget)) +
                         " of memory available");
    }
  }
  return static_cast<size_t>(n);
}

size_t memory_budget() {
  uint64_t avail = available_memory_bytes();
  return avail > 0 ? static_cast<size_t>(avail / 10 * 9) : static_cast<size_t>(1) << 34;
}

std::vector<unsigned char> read_maybe_gzip(const std::string& path) {
  std::string raw = read_file(path);
  if (raw.size() < 2 || static_cast<unsigned char>(raw[0]) != 0x1f ||
      static_cast<unsigned char>(raw[1]) != 0x8b) {
    return std::vector<unsigned char>(raw.begin(), raw.end());
  }
  const size_t budget = memory_budget();
  auto too_big = [&] {
    return RuntimeError(path + ": inflates to more than the " +
                        format_bytes(static_cast<double>(budget)) + " of memory available");
  };
  // The trailer's ISIZE is the (last member's) size mod 2^32: a first guess,
  // grown if the data say otherwise.
  size_t isize = 0;
  if (raw.size() >= 18) {
    const auto* t = reinterpret_cast<const unsigned char*>(raw.data() + raw.size() - 4);
    isize = t[0] | (t[1] << 8) | (t[2] << 16) | (static_cast<size_t>(t[3]) << 24);
  }
  std::vector<unsigned char> out(std::min(std::max<size_t>(isize, 1 << 16), budget));
  z_stream zs{};
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) throw RuntimeError("zlib init failed for " + path);
  zs.next_in = reinterpret_cast<Bytef*>(raw.data());
  zs.avail_in = static_cast<uInt>(raw.size());
  size_t have = 0;
  int rc;
  do {
    if (have == out.size()) {
      if (out.size() >= budget) {
        inflateEnd(&zs);
        throw too_big();
      }
      out.resize(std::min(out.size() * 2, budget));
    }
    zs.next_out = out.data() + have;
    zs.avail_out = static_cast<uInt>(std::min<size_t>(out.size() - have, 1u << 30));
    const uInt room = zs.avail_out;
    rc = inflate(&zs, Z_NO_FLUSH);
    have += room - zs.avail_out;
    if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) {
      inflateEnd(&zs);
      throw RuntimeError(path + ": corrupt gzip data (" + (zs.msg ? zs.msg : "inflate failed") +
                         ")");
    }
    if (rc == Z_BUF_ERROR && zs.avail_in == 0) {
      inflateEnd(&zs);
      throw RuntimeError(path + ": truncated gzip data");
    }
  } while (rc != Z_STREAM_END);
  inflateEnd(&zs);
  out.resize(have);
  return out;
}

}  // namespace itwin::data
