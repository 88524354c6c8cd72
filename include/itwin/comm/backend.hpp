#pragma once
/// Communication backends: one interface for every way ranks talk (local,
/// mpi, gloo, nccl), on raw buffers so that callers need no torch headers.
/// Buffers live in host memory, or on the GPU where device_memory() says the
/// backend takes them there (nccl); callers stage GPU tensors through host
/// memory for the others. Public methods are non-virtual: they validate, time, and turn a
/// backend's failure into an itwin::RuntimeError naming the operation, rank
/// and host; backends implement the private `do_*` hooks.
///
/// Every rank must call the same collectives in the same order.

#include <cstddef>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "itwin/config/catalogs.hpp"

namespace itwin::comm {

enum class DType { F32, F64, F16, BF16, I32, I64, U8 };
enum class ReduceOp { Sum, Max, Min };

size_t dtype_bytes(DType t);
const char* dtype_name(DType t);

/// A pending asynchronous collective.
class Work {
 public:
  virtual ~Work() = default;
  virtual void wait() = 0;
  /// Non-blocking: true once the collective has completed (false when the
  /// backend cannot tell). For MPI this also drives progress, so callers poll
  /// it while they compute to overlap communication.
  virtual bool test() { return false; }
  /// When the collective completed, in seconds of std::chrono::steady_clock
  /// since its epoch, where the backend saw it happen (MPI's progress
  /// thread); 0 when not known (yet).
  virtual double completed_at() { return 0; }
};

class Backend {
 public:
  virtual ~Backend() = default;
  const std::string& name() const { return name_; }
  int rank() const { return rank_; }
  int world() const { return world_; }

  /// In place: every rank ends with op(all ranks' data).
  void allreduce(void* data, size_t count, DType t, ReduceOp op = ReduceOp::Sum);
  /// Starts an in-place sum allreduce; the result is there after wait().
  std::unique_ptr<Work> allreduce_async(void* data, size_t count, DType t);
  /// In place: every rank ends with `root`'s data.
  void broadcast(void* data, size_t count, DType t, int root);
  /// `out` (world * count) gets every rank's `in` (count), in rank order.
  void allgather(const void* in, void* out, size_t count, DType t);
  /// `in` (world * count) is reduced across ranks; rank r keeps slice r in `out` (count).
  void reduce_scatter(const void* in, void* out, size_t count, DType t,
                      ReduceOp op = ReduceOp::Sum);
  void barrier();
  /// Ends every rank of the job now with exit `code` (MPI_Abort), for an error
  /// on this rank that the others cannot know of. Backends whose peers notice
  /// a rank that left (gloo, local) return and let the caller exit.
  void abort_job(int code) { do_abort_job(code); }

  /// True: the collectives take GPU (device) pointers as well as host ones.
  virtual bool device_memory() const { return false; }

  /// Seconds spent inside collectives so far (communication overhead).
  double comm_seconds() const { return comm_seconds_; }

 protected:
  Backend(std::string name, int rank, int world);
  /// Throws RuntimeError: "<name> <op> failed on rank R/W (host H): <why>".
  [[noreturn]] void fail(const std::string& op, const std::string& why) const;

 private:
  virtual void do_allreduce(void* data, size_t count, DType t, ReduceOp op) = 0;
  virtual std::unique_ptr<Work> do_allreduce_async(void* data, size_t count, DType t);
  virtual void do_broadcast(void* data, size_t count, DType t, int root) = 0;
  virtual void do_allgather(const void* in, void* out, size_t count, DType t) = 0;
  virtual void do_reduce_scatter(const void* in, void* out, size_t count, DType t, ReduceOp op) = 0;
  virtual void do_barrier() = 0;
  virtual void do_abort_job(int code) { (void)code; }

  friend class TimedWork;
  std::string name_;
  int rank_, world_;
  double comm_seconds_ = 0;
};

/// Where and how this process joins its world (see launch/world.hpp).
struct BackendOptions {
  int rank = 0;
  int world = 1;
  int local_rank = 0;
  int local_world = 1;
  std::string rendezvous;  ///< gloo/nccl: "file:PATH" or "tcp:HOST:PORT"
  double timeout_s = 300;  ///< collectives and rendezvous give up after this
};

/// Versions of the communication libraries in this build ("mpi", "nccl").
std::map<std::string, std::string> library_versions();

/// True when backend `b` is compiled into this binary (auto and local always are).
bool backend_built(config::BackendKind b);

/// The one place that resolves `backend: auto`, for a world of `world` ranks
/// started by `launcher` ("none" when itwin is about to start the ranks
/// itself): local for one rank; mpi under mpirun or PMIx, or for ranks itwin
/// starts when mpirun is on PATH, when mpi is built; gloo otherwise. Any other
/// choice is returned as it is.
config::BackendKind resolve_backend(config::BackendKind requested, int world,
                                    const std::string& launcher);

/// Creates backend `b`. A backend that is not built, or cannot start, is an
/// error: never a silent fallback.
std::unique_ptr<Backend> make_backend(config::BackendKind b, const BackendOptions& opts);
/// The same by name ("local", "mpi", ...): unknown names are ConfigErrors with did-you-mean.
std::unique_ptr<Backend> make_backend(const std::string& name, const BackendOptions& opts);

}  // namespace itwin::comm
