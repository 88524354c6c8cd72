// `mpi`: OpenMPI collectives on host memory. The communicator returns errors
// (MPI_ERRORS_RETURN) so that they become itwin errors naming rank and host.
#include "factories.hpp"
#include "itwin/util/error.hpp"
#include "itwin/util/job_error.hpp"
#include "itwin_build.h"

#if ITWIN_HAVE_MPI
#include <mpi.h>
#include <sched.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace itwin::comm {
namespace {

using Clock = std::chrono::steady_clock;

// Reductions of 16-bit floats (MPI has no such type): sum through float.
template <float (*ToF)(uint16_t), uint16_t (*FromF)(float)>
void sum16(void* in, void* inout, int* len, MPI_Datatype*) {
  auto* a = static_cast<uint16_t*>(in);
  auto* b = static_cast<uint16_t*>(inout);
  for (int i = 0; i < *len; ++i) b[i] = FromF(ToF(a[i]) + ToF(b[i]));
}

// Every collective is non-blocking and waited for with a deadline
// (distributed.timeout): a rank that stops answering (frozen, SIGSTOP, a
// hung node) ends the job naming it, instead of hanging it forever.
//
// Asynchronous allreduces (ddp's gradient buckets) make progress only inside
// MPI calls. The trainer's thread is busy in backward's matrix products then,
// so a progress thread can test them every ~50 us while any is in flight and
// sleep otherwise (ITWIN_MPI_PROGRESS_THREAD=1; every MPI call then holds
// mpi_, MPI_THREAD_SERIALIZED). It is off by default: with 2 ranks on 2
// cores it measured slower (MLP samples/s, medians of 3: 478 with, 616 without, under
// load): its wake-ups compete with backward for the cores. Without it the
// buckets progress when the trainer polls them (each gradient hook) and
// waits for them.
class MpiBackend : public Backend {
 public:
  MpiBackend(MPI_Comm comm, int rank, int world, double timeout_s, bool threaded)
      : Backend("mpi", rank, world), comm_(comm), timeout_(timeout_s) {
    MPI_Op_create(&sum16<half_to_float, float_to_half>, 1, &half_sum_);
    MPI_Op_create(&sum16<bf16_to_float, float_to_bf16>, 1, &bf16_sum_);
    MPI_Comm_dup(comm_, &probe_);
    const char* env = std::getenv("ITWIN_MPI_PROGRESS_THREAD");  // "1": the progress thread
    if (threaded && env && std::string(env) == "1")
      progress_ = std::thread([this] { progress_loop(); });
  }
  ~MpiBackend() override {
    if (progress_.joinable()) {
      {
        std::lock_guard<std::mutex> lk(mpi_);
        stop_ = true;
      }
      wake_.notify_all();
      progress_.join();
    }
    MPI_Op_free(&half_sum_);
    MPI_Op_free(&bf16_sum_);
    MPI_Comm_free(&probe_);
    MPI_Comm_free(&comm_);
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (!finalized) MPI_Finalize();
  }

 private:
  void do_abort_job(int code) override { MPI_Abort(MPI_COMM_WORLD, code); }

  // Waits for `req`, polling (which also drives MPI's progress); past the
  // deadline, finds the ranks that do not answer and ends the job.
  void wait(MPI_Request& req, const char* op) const {
    const auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                             std::chrono::duration<double>(timeout_));
    int flag = 0;
    for (long spins = 0;; ++spins) {
      {
        std::lock_guard<std::mutex> lk(mpi_);
        check(MPI_Test(&req, &flag, MPI_STATUS_IGNORE), op);
      }
      if (flag) return;
      if (spins < 2000) {
        sched_yield();
        continue;
      }
      if (Clock::now() > deadline) unresponsive(op);
      timespec ts{0, spins < 20000
                         ? 20000
                         : 200000};  // 20 us, later 0.2 ms: a waiting rank leaves the core
      nanosleep(&ts, nullptr);
    }
  }

  // Every rank that timed out says it is alive to all the others on a side
  // communicator; those not heard from within a grace period are named.
  [[noreturn]] void unresponsive(const char* op) const {
    std::unique_lock<std::mutex> lk(mpi_);  // held to the end: the job is ending
    const int tag = 77;
    const double grace = std::max(2.0, std::min(30.0, timeout_ / 10));
    char token = 1;
    std::vector<char> got(static_cast<size_t>(world()), 0);
    std::vector<MPI_Request> sends, recvs(static_cast<size_t>(world()), MPI_REQUEST_NULL);
    for (int r = 0; r < world(); ++r) {
      if (r == rank()) continue;
      sends.emplace_back();
      MPI_Isend(&token, 1, MPI_CHAR, r, tag, probe_, &sends.back());
      MPI_Irecv(&got[static_cast<size_t>(r)], 1, MPI_CHAR, r, tag, probe_,
                &recvs[static_cast<size_t>(r)]);
    }
    const auto end = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                        std::chrono::duration<double>(grace));
    std::string silent;
    while (Clock::now() < end) {
      silent.clear();
      for (int r = 0; r < world(); ++r) {
        if (r == rank()) continue;
        int flag = 0;
        MPI_Test(&recvs[static_cast<size_t>(r)], &flag, MPI_STATUS_IGNORE);
        if (!flag) silent += (silent.empty() ? "" : ", ") + std::to_string(r);
      }
      if (silent.empty()) break;
      timespec ts{0, 10000000};
      nanosleep(&ts, nullptr);
    }
    std::string why = silent.empty() ? "every rank answers, but the collective did not complete"
                                     : "rank(s) " + silent + " stopped answering";
    const std::string what = std::string("mpi ") + op + " timed out on rank " +
                             std::to_string(rank()) + "/" + std::to_string(world()) + " after " +
                             std::to_string(static_cast<int64_t>(timeout_ + 0.5)) +
                             " s (distributed.timeout): " + why;
    std::fprintf(stderr, "itwin: error: %s; ending the job\n", what.c_str());
    std::fflush(stderr);
    leave_job_error(rank(), 1, what);  // the console line may not get through mpirun
    MPI_Abort(MPI_COMM_WORLD, 1);
    std::_Exit(1);
  }

  void check(int rc, const char* op) const {
    if (rc == MPI_SUCCESS) return;
    char msg[MPI_MAX_ERROR_STRING];
    int len = 0;
    MPI_Error_string(rc, msg, &len);
    fail(op, std::string(msg, static_cast<size_t>(len)));
  }
  static MPI_Datatype type(DType t) {
    switch (t) {
      case DType::F32:
        return MPI_FLOAT;
      case DType::F64:
        return MPI_DOUBLE;
      case DType::F16:
      case DType::BF16:
        return MPI_UINT16_T;
      case DType::I32:
        return MPI_INT32_T;
      case DType::I64:
        return MPI_INT64_T;
      case DType::U8:
        return MPI_UINT8_T;
    }
    return MPI_BYTE;
  }
  MPI_Op op_for(DType t, ReduceOp op) const {
    if (t == DType::F16) return half_sum_;
    if (t == DType::BF16) return bf16_sum_;
    return op == ReduceOp::Sum ? MPI_SUM : op == ReduceOp::Max ? MPI_MAX : MPI_MIN;
  }
  int n(size_t count) const {
    if (count > static_cast<size_t>(INT32_MAX))
      fail("collective", "more than 2^31 elements in one call");
    return static_cast<int>(count);
  }

  // Starts a collective under the lock, then waits for it.
  template <typename Start>
  void blocking(const char* op, Start start) {
    MPI_Request req;
    {
      std::lock_guard<std::mutex> lk(mpi_);
      check(start(&req), op);
    }
    wait(req, op);
  }

  void do_allreduce(void* data, size_t count, DType t, ReduceOp op) override {
    blocking("allreduce", [&](MPI_Request* r) {
      return MPI_Iallreduce(MPI_IN_PLACE, data, n(count), type(t), op_for(t, op), comm_, r);
    });
  }

  // An asynchronous allreduce: the progress thread (when there is one) tests
  // it and notes when it completed; else test() and wait() drive it.
  struct MpiWork : Work {
    MPI_Request req = MPI_REQUEST_NULL;
    MpiBackend* b = nullptr;
    bool done = false;  ///< guarded by b->mpi_
    int rc = MPI_SUCCESS;
    double completed = 0;
    ~MpiWork() override {
      // Dropped before completing (an error unwinds the step): the progress
      // thread forgets it; the request is left to MPI_Finalize or the abort
      // that follows, since waiting here could hang on a peer that is gone.
      std::lock_guard<std::mutex> lk(b->mpi_);
      if (!done)
        b->pending_.erase(std::remove(b->pending_.begin(), b->pending_.end(), this),
                          b->pending_.end());
    }
    void wait() override {
      if (!b->progress_.joinable()) {
        if (!done) b->wait(req, "allreduce (async)");
        done = true;
        return;
      }
      const auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                               std::chrono::duration<double>(b->timeout_));
      std::unique_lock<std::mutex> lk(b->mpi_);
      if (!b->done_.wait_until(lk, deadline, [&] { return done; })) {
        lk.unlock();
        b->unresponsive("allreduce (async)");
      }
      b->check(rc, "allreduce (async)");
    }
    bool test() override {
      std::lock_guard<std::mutex> lk(b->mpi_);
      if (!done && !b->progress_.joinable()) {
        int flag = 0;
        b->check(MPI_Test(&req, &flag, MPI_STATUS_IGNORE), "allreduce (async)");
        done = flag != 0;
        if (done) completed = now_s();
      }
      if (done) b->check(rc, "allreduce (async)");
      return done;
    }
    double completed_at() override {
      std::lock_guard<std::mutex> lk(b->mpi_);
      return done ? completed : 0;
    }
  };

  static double now_s() {
    return std::chrono::duration<double>(Clock::now().time_since_epoch()).count();
  }

  std::unique_ptr<Work> do_allreduce_async(void* data, size_t count, DType t) override {
    auto w = std::make_unique<MpiWork>();
    w->b = this;
    {
      std::lock_guard<std::mutex> lk(mpi_);
      check(MPI_Iallreduce(MPI_IN_PLACE, data, n(count), type(t), op_for(t, ReduceOp::Sum), comm_,
                           &w->req),
            "allreduce (async)");
      if (progress_.joinable()) pending_.push_back(w.get());
    }
    wake_.notify_one();
    return w;
  }

  // The progress thread: while collectives are in flight, tests them every
  // ~50 us (the sleep leaves the core to backward between tests).
  void progress_loop() {
    std::unique_lock<std::mutex> lk(mpi_);
    while (!stop_) {
      if (pending_.empty()) {
        wake_.wait(lk);
        continue;
      }
      bool any = false;
      for (auto it = pending_.begin(); it != pending_.end();) {
        int flag = 0;
        int rc = MPI_Test(&(*it)->req, &flag, MPI_STATUS_IGNORE);
        if (rc != MPI_SUCCESS || flag) {
          (*it)->rc = rc;
          (*it)->done = true;
          (*it)->completed = now_s();
          it = pending_.erase(it);
          any = true;
        } else {
          ++it;
        }
      }
      if (any) done_.notify_all();
      lk.unlock();
      timespec ts{0, 50000};
      nanosleep(&ts, nullptr);
      lk.lock();
    }
  }

  void do_broadcast(void* data, size_t count, DType t, int root) override {
    blocking("broadcast",
             [&](MPI_Request* r) { return MPI_Ibcast(data, n(count), type(t), root, comm_, r); });
  }
  void do_allgather(const void* in, void* out, size_t count, DType t) override {
    blocking("allgather", [&](MPI_Request* r) {
      return MPI_Iallgather(in, n(count), type(t), out, n(count), type(t), comm_, r);
    });
  }
  void do_reduce_scatter(const void* in, void* out, size_t count, DType t, ReduceOp op) override {
    blocking("reduce_scatter", [&](MPI_Request* r) {
      return MPI_Ireduce_scatter_block(in, out, n(count), type(t), op_for(t, op), comm_, r);
    });
  }
  void do_barrier() override {
    blocking("barrier", [&](MPI_Request* r) { return MPI_Ibarrier(comm_, r); });
  }

  mutable std::mutex mpi_;  ///< held by every MPI call (MPI_THREAD_SERIALIZED)
  std::condition_variable wake_, done_;
  std::vector<MpiWork*> pending_;  ///< async collectives the progress thread tests
  bool stop_ = false;
  std::thread progress_;
  MPI_Comm comm_, probe_;
  double timeout_;
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
  int inited = 0, provided = 0;
  MPI_Initialized(&inited);
  if (!inited) {
    if (MPI_Init_thread(nullptr, nullptr, MPI_THREAD_SERIALIZED, &provided) != MPI_SUCCESS) {
      throw RuntimeError(
          "mpi: MPI_Init failed (is this process started by mpirun or srun --mpi=pmix?)");
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
    throw RuntimeError("mpi: MPI says rank " + std::to_string(rank) + " of " +
                       std::to_string(world) + ", the launcher's environment said " +
                       std::to_string(o.rank) + " of " + std::to_string(o.world));
  }
  if (inited) MPI_Query_thread(&provided);
  return std::make_unique<MpiBackend>(comm, rank, world, o.timeout_s,
                                      provided >= MPI_THREAD_SERIALIZED);
}

}  // namespace itwin::comm

#else

namespace itwin::comm {
std::string mpi_library_version() { return ""; }
std::unique_ptr<Backend> make_mpi(const BackendOptions&) {
  throw ConfigError("backend 'mpi' is not built into this itwin");
}
}  // namespace itwin::comm

#endif
