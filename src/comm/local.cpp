// `local`: a world of one process. Collectives are identities (or copies).
#include <cstring>

#include "factories.hpp"
#include "itwin/util/error.hpp"

namespace itwin::comm {
namespace {

class LocalBackend : public Backend {
 public:
  LocalBackend() : Backend("local", 0, 1) {}

 private:
  void do_allreduce(void*, size_t, DType, ReduceOp) override {}
  void do_broadcast(void*, size_t, DType, int) override {}
  void do_allgather(const void* in, void* out, size_t count, DType t) override {
    if (in != out) std::memmove(out, in, count * dtype_bytes(t));
  }
  void do_reduce_scatter(const void* in, void* out, size_t count, DType t, ReduceOp) override {
    if (in != out) std::memmove(out, in, count * dtype_bytes(t));
  }
  void do_barrier() override {}
};

}  // namespace

std::unique_ptr<Backend> make_local(const BackendOptions& o) {
  if (o.world != 1) {
    throw ConfigError("backend 'local' runs one process, but this world has " +
                      std::to_string(o.world) + " ranks; choose mpi or gloo");
  }
  return std::make_unique<LocalBackend>();
}

}  // namespace itwin::comm
