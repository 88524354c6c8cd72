#pragma once
// Constructors of the backends (internal to src/comm; only the registry in
// backend.cpp calls them).

#include <memory>

#include "itwin/comm/backend.hpp"

namespace itwin::comm {

std::unique_ptr<Backend> make_local(const BackendOptions& o);
std::unique_ptr<Backend> make_mpi(const BackendOptions& o);
std::unique_ptr<Backend> make_gloo(const BackendOptions& o);
std::unique_ptr<Backend> make_nccl(const BackendOptions& o);

/// Library versions ("" when not built).
std::string mpi_library_version();
std::string nccl_library_version();

/// 16-bit float helpers shared by the MPI reduction ops and compression.
float half_to_float(uint16_t h);
uint16_t float_to_half(float f);
inline float bf16_to_float(uint16_t b) {
  uint32_t u = static_cast<uint32_t>(b) << 16;
  float f;
  __builtin_memcpy(&f, &u, 4);
  return f;
}
inline uint16_t float_to_bf16(float f) {  // round to nearest even
  uint32_t u;
  __builtin_memcpy(&u, &f, 4);
  u += 0x7fff + ((u >> 16) & 1);
  return static_cast<uint16_t>(u >> 16);
}

}  // namespace itwin::comm
