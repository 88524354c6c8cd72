// `mpi`: OpenMPI collectives on host memory. The communicator returns errors
// (MPI_ERRORS_RETURN) so that they become itwin errors naming rank and host.
#include "factories.hpp"
#include "itwin/util/error.hpp"
#include "itwin_build.h"

#if ITWIN_HAVE_MPI
#include <mpi.h>

#include <cstdlib>

namespace itwin::comm {
namespace {

// Reductions of 16-bit floats (MPI has no such type): sum through float.
template <float (*ToF)(uint16_t), uint16_t (*FromF)(float)>
void sum16(void* in, void* inout, int* len, MPI_Datatype*) {
  auto* a = static_cast<uint16_t*>(in);
  auto* b = static_cast<uint16_t*>(inout);
  for (int i = 0; i < *len; ++i) b[i] = FromF(ToF(a[i]) + ToF(b[i]));
}

class MpiBackend : public Backend {
 public:
  MpiBackend(MPI_Comm comm, int rank, int world) : Backend("mpi", rank, world), comm_(comm) {
    MPI_Op_create(&sum16<half_to_float, float_to_half>, 1, &half_sum_);
    MPI_Op_create(&sum16<bf16_to_float, float_to_bf16>, 1, &bf16_sum_);
  }
  ~MpiBackend() override {
    MPI_Op_free(&half_sum_);
    MPI_Op_free(&bf16_sum_);
    MPI_Comm_free(&comm_);
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (!finalized) MPI_Finalize();
  }

 private:
  void do_abort_job(int code) override { MPI_Abort(MPI_COMM_WORLD, code); }

  void check(int rc, const char* op) const {
    if (rc == MPI_SUCCESS) return;
    char msg[MPI_MAX_ERROR_STRING];
    int len = 0;
    MPI_Error_string(rc, msg, &len);
    fail(op, std::string(msg, static_cast<size_t>(len)));
  }
  static MPI_Datatype type(DType t) {
    switch (t) {
      case DType::F32: return MPI_FLOAT;
      case DType::F64: return MPI_DOUBLE;
      case DType::F16: case DType::BF16: return MPI_UINT16_T;
      case DType::I32: return MPI_INT32_T;
      case DType::I64: return MPI_INT64_T;
      case DType::U8: return MPI_UINT8_T;
    }
    return MPI_BYTE;
  }
  MPI_Op op_for(DType t, ReduceOp op) const {
    if (t == DType::F16) return half_sum_;
    if (t == DType::BF16) return bf16_sum_;
    return op == ReduceOp::Sum ? MPI_SUM : op == ReduceOp::Max ? MPI_MAX : MPI_MIN;
  }
  int n(size_t count) const {
    if (count > static_cast<size_t>(INT32_MAX)) fail("collective", "more than 2^31 elements in one call");
    return static_cast<int>(count);
  }

  void do_allreduce(void* data, size_t count, DType t, ReduceOp op) override {
    check(MPI_Allreduce(MPI_IN_PLACE, data, n(count), type(t), op_for(t, op), comm_), "allreduce");
  }
  std::unique_ptr<Work> do_allreduce_async(void* data, size_t count, DType t) override {
    struct MpiWork : Work {
      MPI_Request req;
      const MpiBackend* b;
      void wait() override { b->check(MPI_Wait(&req, MPI_STATUS_IGNORE), "allreduce (async)"); }
    };
    auto w = std::make_unique<MpiWork>();
    w->b = this;
    check(MPI_Iallreduce(MPI_IN_PLACE, data, n(count), type(t), op_for(t, ReduceOp::Sum), comm_, &w->req), "allreduce (async)");
    return w;
  }
  void do_broadcast(void* data, size_t count, DType t, int root) override {
    check(MPI_Bcast(data, n(count), type(t), root, comm_), "broadcast");
  }
  void do_allgather(const void* in, void* out, size_t count, DType t) override {
    check(MPI_Allgather(in, n(count), type(t), out, n(count), type(t), comm_), "allgather");
  }
  void do_reduce_scatter(const void* in, void* out, size_t count, DType t, ReduceOp op) override {
    check(MPI_Reduce_scatter_block(in, out, n(count), type(t), op_for(t, op), comm_), "reduce_scatter");
  }
  void do_barrier() override { check(MPI_Barrier(comm_), "barrier"); }

  MPI_Comm comm_;
  MPI_Op half_sum_, bf16_sum_;
};

}  // namespace

std::string mpi_library_version() {
  char v[MPI_MAX_LIBRARY_VERSION_STRING];
  int len = 0;
  MPI_Get_library_version(v, &len);
  std::string s(v, static_cast<size_t>(len));
  return s.substr(0, s.find_first_of(",\n"));
}

std::unique_ptr<Backend> make_mpi(const BackendOptions& o) {
  int inited = 0;
  MPI_Initialized(&inited);
  if (!inited) {
    int provided = 0;
    if (MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS) {
      throw RuntimeError("mpi: MPI_Init failed (is this process started by mpirun or srun --mpi=pmix?)");
    }
  }
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  MPI_Comm comm;
  MPI_Comm_dup(MPI_COMM_WORLD, &comm);
  MPI_Comm_set_errhandler(comm, MPI_ERRORS_RETURN);
  int rank = 0, world = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &world);
  if (world != o.world || rank != o.rank) {
    throw RuntimeError("mpi: MPI says rank " + std::to_string(rank) + " of " + std::to_string(world) +
                       ", the launcher's environment said " + std::to_string(o.rank) + " of " + std::to_string(o.world));
  }
  return std::make_unique<MpiBackend>(comm, rank, world);
}

}  // namespace itwin::comm

#else

namespace itwin::comm {
std::string mpi_library_version() { return ""; }
std::unique_ptr<Backend> make_mpi(const BackendOptions&) { throw ConfigError("backend 'mpi' is not built into this itwin"); }
}  // namespace itwin::comm

#endif
