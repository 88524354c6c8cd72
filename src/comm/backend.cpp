// The backend base class, which backends this build has, and resolving `auto` (torch-free).
#include "itwin/comm/backend.hpp"

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>

#include "factories.hpp"
#include "itwin/util/error.hpp"
#include "itwin/util/process.hpp"
#include "itwin/util/strings.hpp"
#include "itwin/util/sysinfo.hpp"
#include "itwin_build.h"

namespace itwin::comm {
namespace {

using Clock = std::chrono::steady_clock;

}  // namespace

size_t dtype_bytes(DType t) {
  switch (t) {
    case DType::F64:
    case DType::I64:
      return 8;
    case DType::F32:
    case DType::I32:
      return 4;
    case DType::F16:
    case DType::BF16:
      return 2;
    case DType::U8:
      return 1;
  }
  return 1;
}

const char* dtype_name(DType t) {
  switch (t) {
    case DType::F32:
      return "float";
    case DType::F64:
      return "double";
    case DType::F16:
      return "half";
    case DType::BF16:
      return "bfloat16";
    case DType::I32:
      return "int32";
    case DType::I64:
      return "int64";
    case DType::U8:
      return "uint8";
  }
  return "?";
}

// 16-bit IEEE half <-> float, without hardware support.
float half_to_float(uint16_t h) {
  uint32_t sign = (h >> 15) & 1, exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
  float v;
  if (exp == 0)
    v = std::ldexp(static_cast<float>(mant), -24);
  else if (exp == 31)
    v = mant ? NAN : INFINITY;
  else
    v = std::ldexp(static_cast<float>(mant | 0x400), static_cast<int>(exp) - 25);
  return sign ? -v : v;
}

uint16_t float_to_half(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  uint32_t sign = (u >> 16) & 0x8000;
  int32_t exp = static_cast<int32_t>((u >> 23) & 0xff) - 127 + 15;
  uint32_t mant = u & 0x7fffff;
  if (((u >> 23) & 0xff) == 0xff) return static_cast<uint16_t>(sign | 0x7c00 | (mant ? 0x200 : 0));
  if (exp >= 31) return static_cast<uint16_t>(sign | 0x7c00);  // overflow -> inf
  if (exp <= 0) {                                              // subnormal or zero
    if (exp < -10) return static_cast<uint16_t>(sign);
    mant |= 0x800000;
    uint32_t shift = static_cast<uint32_t>(14 - exp);
    uint32_t h = mant >> shift;
    if ((mant >> (shift - 1)) & 1) h += 1;  // round half up
    return static_cast<uint16_t>(sign | h);
  }
  uint32_t h = sign | (static_cast<uint32_t>(exp) << 10) | (mant >> 13);
  if ((mant & 0x1fff) > 0x1000 || ((mant & 0x1fff) == 0x1000 && (h & 1))) h += 1;  // nearest even
  return static_cast<uint16_t>(h);
}

Backend::Backend(std::string name, int rank, int world)
    : name_(std::move(name)), rank_(rank), world_(world) {}

void Backend::fail(const std::string& op, const std::string& why) const {
  throw RuntimeError(name_ + " " + op + " failed on rank " + std::to_string(rank_) + "/" +
                     std::to_string(world_) + " (host " + host_name() + "): " + why);
}

namespace {
class DoneWork : public Work {
 public:
  void wait() override {}
  bool test() override { return true; }
};
}  // namespace

class TimedWork : public Work {
 public:
  TimedWork(std::unique_ptr<Work> w, Backend* b) : w_(std::move(w)), b_(b) {}
  void wait() override {
    auto t0 = Clock::now();
    w_->wait();
    b_->comm_seconds_ += std::chrono::duration<double>(Clock::now() - t0).count();
  }
  bool test() override { return w_->test(); }
  double completed_at() override { return w_->completed_at(); }

 private:
  std::unique_ptr<Work> w_;
  Backend* b_;
};

std::unique_ptr<Work> Backend::do_allreduce_async(void* data, size_t count, DType t) {
  do_allreduce(data, count, t, ReduceOp::Sum);
  return std::make_unique<DoneWork>();
}

#define ITWIN_TIMED(expr)                                                       \
  do {                                                                          \
    auto t0_ = Clock::now();                                                    \
    expr;                                                                       \
    comm_seconds_ += std::chrono::duration<double>(Clock::now() - t0_).count(); \
  } while (0)

void Backend::allreduce(void* data, size_t count, DType t, ReduceOp op) {
  if (count == 0) return;
  if ((t == DType::F16 || t == DType::BF16) && op != ReduceOp::Sum)
    fail("allreduce", "16-bit floats support only sum");
  ITWIN_TIMED(do_allreduce(data, count, t, op));
}

std::unique_ptr<Work> Backend::allreduce_async(void* data, size_t count, DType t) {
  if (count == 0) return std::make_unique<DoneWork>();
  std::unique_ptr<Work> w;
  ITWIN_TIMED(w = do_allreduce_async(data, count, t));
  return std::make_unique<TimedWork>(std::move(w), this);
}

void Backend::broadcast(void* data, size_t count, DType t, int root) {
  if (root < 0 || root >= world_)
    fail("broadcast", "root " + std::to_string(root) + " is not a rank of this world");
  if (count == 0) return;
  ITWIN_TIMED(do_broadcast(data, count, t, root));
}

void Backend::allgather(const void* in, void* out, size_t count, DType t) {
  if (count == 0) return;
  ITWIN_TIMED(do_allgather(in, out, count, t));
}

void Backend::reduce_scatter(const void* in, void* out, size_t count, DType t, ReduceOp op) {
  if (count == 0) return;
  if ((t == DType::F16 || t == DType::BF16) && op != ReduceOp::Sum)
    fail("reduce_scatter", "16-bit floats support only sum");
  ITWIN_TIMED(do_reduce_scatter(in, out, count, t, op));
}

void Backend::barrier() { ITWIN_TIMED(do_barrier()); }

std::map<std::string, std::string> library_versions() {
  std::map<std::string, std::string> v;
  if (backend_built(config::BackendKind::Mpi)) v["mpi"] = mpi_library_version();
  if (backend_built(config::BackendKind::Nccl)) v["nccl"] = nccl_library_version();
  return v;
}

bool backend_built(config::BackendKind b) {
  switch (b) {
    case config::BackendKind::Auto:
    case config::BackendKind::Local:
      return true;
    case config::BackendKind::Mpi:
      return ITWIN_HAVE_MPI != 0;
    case config::BackendKind::Gloo:
      return ITWIN_HAVE_GLOO != 0;
    case config::BackendKind::Nccl:
      return ITWIN_HAVE_NCCL != 0;
  }
  return false;
}

config::BackendKind resolve_backend(config::BackendKind requested, int world,
                                    const std::string& launcher) {
  using config::BackendKind;
  if (requested != BackendKind::Auto) return requested;
  if (world == 1) return BackendKind::Local;
  const bool mpi = backend_built(BackendKind::Mpi);
  if (mpi && (launcher == "mpirun" || launcher == "pmix")) return BackendKind::Mpi;
  if (mpi && launcher == "none" && program_on_path("mpirun")) return BackendKind::Mpi;
  return BackendKind::Gloo;
}

}  // namespace itwin::comm
