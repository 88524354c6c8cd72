#pragma once
// A minimal protocol-buffers encoder for the few TensorBoard messages we
// write (internal to src/track). Field numbers are from TensorFlow's
// event.proto / summary.proto / tensor.proto and TensorBoard's
// plugins/hparams/plugin_data.proto.

#include <cstdint>
#include <cstring>
#include <string>

namespace itwin::track::pb {

inline void varint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out += static_cast<char>((v & 0x7f) | 0x80);
    v >>= 7;
  }
  out += static_cast<char>(v);
}
inline void key(std::string& out, int field, int wire) {
  varint(out, (static_cast<uint64_t>(field) << 3) | static_cast<uint64_t>(wire));
}
inline void int_field(std::string& out, int field, int64_t v) {
  key(out, field, 0);
  varint(out, static_cast<uint64_t>(v));
}
inline void double_field(std::string& out, int field, double v) {
  key(out, field, 1);
  char b[8];
  std::memcpy(b, &v, 8);
  out.append(b, 8);
}
inline void float_field(std::string& out, int field, float v) {
  key(out, field, 5);
  char b[4];
  std::memcpy(b, &v, 4);
  out.append(b, 4);
}
inline void bytes_field(std::string& out, int field, const std::string& v) {
  key(out, field, 2);
  varint(out, v.size());
  out += v;
}

}  // namespace itwin::track::pb

namespace itwin::track::pb {

/// One field of an encoded message, for reading back what we wrote.
struct Field {
  int number = 0, wire = 0;
  uint64_t varint = 0;  ///< wire 0
  std::string bytes;    ///< wire 1, 2, 5
};

/// Reads the field at `i` of `m` and advances `i`; false at the end or on a
/// malformed message (then `i` is left anywhere).
inline bool next_field(const std::string& m, size_t& i, Field& f) {
  auto read_varint = [&](uint64_t& out) {
    out = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (i >= m.size()) return false;
      auto b = static_cast<unsigned char>(m[i++]);
      out |= static_cast<uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) return true;
    }
    return false;
  };
  if (i >= m.size()) return false;
  uint64_t k;
  if (!read_varint(k)) return false;
  f.number = static_cast<int>(k >> 3);
  f.wire = static_cast<int>(k & 7);
  f.bytes.clear();
  size_t n = 0;
  switch (f.wire) {
    case 0:
      return read_varint(f.varint);
    case 1:
      n = 8;
      break;
    case 5:
      n = 4;
      break;
    case 2: {
      uint64_t len;
      if (!read_varint(len) || len > m.size() - i) return false;
      n = static_cast<size_t>(len);
      break;
    }
    default:
      return false;
  }
  if (n > m.size() - i) return false;
  f.bytes = m.substr(i, n);
  i += n;
  return true;
}

}  // namespace itwin::track::pb
