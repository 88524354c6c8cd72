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
inline void key(std::string& out, int field, int wire) { varint(out, (static_cast<uint64_t>(field) << 3) | static_cast<uint64_t>(wire)); }
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
