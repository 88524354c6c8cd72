// `nccl`: NCCL collectives on the GPU of this rank (local_rank modulo the
// visible devices), on its own CUDA stream. GPU buffers (a CUDA LibTorch's
// tensors) are used in place: the collective's stream first waits for the
// work queued on the default stream (the gradients), and whoever uses the
// result after wait() queues behind the collective; the host does not block,
// so DDP's buckets overlap backward. Host buffers are staged through device
// memory. The NCCL unique id travels through the rendezvous file
// (`file:PATH`), written atomically by rank 0. NCCL errors abort the
// communicator (ncclCommAbort); a collective that does not finish within the
// timeout aborts it too, so a dead peer ends the job in bounded time.
#include "factories.hpp"
#include "itwin/util/error.hpp"
#include "itwin_build.h"

#if ITWIN_HAVE_NCCL
#include <cuda_runtime.h>
#include <nccl.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "itwin/util/fs.hpp"

namespace itwin::comm {
namespace {

bool on_device(const void* p) {
  cudaPointerAttributes a{};
  if (cudaPointerGetAttributes(&a, p) != cudaSuccess) {
    cudaGetLastError();  // a plain host pointer on old drivers: clear the error
    return false;
  }
  return a.type == cudaMemoryTypeDevice || a.type == cudaMemoryTypeManaged;
}

class NcclBackend : public Backend {
 public:
  NcclBackend(ncclComm_t comm, cudaStream_t stream, int rank, int world, double timeout_s)
      : Backend("nccl", rank, world), comm_(comm), stream_(stream), timeout_(timeout_s) {}
  ~NcclBackend() override {
    if (buf_) cudaFree(buf_);
    if (!aborted_) ncclCommDestroy(comm_);
    cudaStreamDestroy(stream_);
  }
  bool device_memory() const override { return true; }

 private:
  void nccl(ncclResult_t r, const char* op) const {
    if (r == ncclSuccess) return;
    ncclCommAbort(comm_);
    aborted_ = true;
    fail(op, ncclGetErrorString(r));
  }
  // The stream's work done, or the communicator aborted after the timeout.
  void finish(const char* op) const {
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_);
    for (;;) {
      cudaError_t q = cudaStreamQuery(stream_);
      if (q == cudaSuccess) return;
      if (q != cudaErrorNotReady) cuda(q, op);
      ncclResult_t async = ncclSuccess;
      ncclCommGetAsyncError(comm_, &async);
      if (async != ncclSuccess) nccl(async, op);
      if (std::chrono::steady_clock::now() > deadline) {
        ncclCommAbort(comm_);
        aborted_ = true;
        fail(op, "no progress within the timeout (" + std::to_string(static_cast<int>(timeout_)) +
                     " s, distributed.timeout): a peer stopped answering");
      }
      std::this_thread::sleep_for(std::chrono::microseconds(50));  // polling the stream
    }
  }
  // The collective's stream waits for what the default stream queued before it.
  void after_default_stream() const {
    cudaEvent_t ev;
    cuda(cudaEventCreateWithFlags(&ev, cudaEventDisableTiming), "event");
    cuda(cudaEventRecord(ev, cudaStreamLegacy), "event");
    cuda(cudaStreamWaitEvent(stream_, ev, 0), "event");
    cudaEventDestroy(ev);
  }
  // The default stream waits for the collective (the host does not).
  void default_stream_after() const {
    cudaEvent_t ev;
    cuda(cudaEventCreateWithFlags(&ev, cudaEventDisableTiming), "event");
    cuda(cudaEventRecord(ev, stream_), "event");
    cuda(cudaStreamWaitEvent(cudaStreamLegacy, ev, 0), "event");
    cudaEventDestroy(ev);
  }
  void cuda(cudaError_t e, const char* op) const {
    if (e != cudaSuccess) fail(op, cudaGetErrorString(e));
  }
  void* device(size_t bytes) {
    if (bytes > cap_) {
      if (buf_) cudaFree(buf_);
      cuda(cudaMalloc(&buf_, bytes), "cudaMalloc");
      cap_ = bytes;
    }
    return buf_;
  }
  static ncclDataType_t type(DType t) {
    switch (t) {
      case DType::F32:
        return ncclFloat32;
      case DType::F64:
        return ncclFloat64;
      case DType::F16:
        return ncclFloat16;
      case DType::BF16:
        return ncclBfloat16;
      case DType::I32:
        return ncclInt32;
      case DType::I64:
        return ncclInt64;
      case DType::U8:
        return ncclUint8;
    }
    return ncclFloat32;
  }
  static ncclRedOp_t red(ReduceOp op) {
    return op == ReduceOp::Sum ? ncclSum : op == ReduceOp::Max ? ncclMax : ncclMin;
  }
  void to_dev(void* d, const void* h, size_t bytes) {
    cuda(cudaMemcpyAsync(d, h, bytes, cudaMemcpyHostToDevice, stream_), "copy to GPU");
  }
  void to_host(void* h, const void* d, size_t bytes) {
    cuda(cudaMemcpyAsync(h, d, bytes, cudaMemcpyDeviceToHost, stream_), "copy from GPU");
    finish("copy from GPU");
  }

  void do_allreduce(void* data, size_t count, DType t, ReduceOp op) override {
    if (on_device(data)) {
      after_default_stream();
      nccl(ncclAllReduce(data, data, count, type(t), red(op), comm_, stream_), "allreduce");
      finish("allreduce");
      return;
    }
    size_t bytes = count * dtype_bytes(t);
    void* d = device(bytes);
    to_dev(d, data, bytes);
    nccl(ncclAllReduce(d, d, count, type(t), red(op), comm_, stream_), "allreduce");
    to_host(data, d, bytes);
  }
  std::unique_ptr<Work> do_allreduce_async(void* data, size_t count, DType t) override {
    struct Done : Work {
      void wait() override {}
      bool test() override { return true; }
    };
    if (!on_device(data)) {  // a host buffer: staged, synchronously
      do_allreduce(data, count, t, ReduceOp::Sum);
      return std::make_unique<Done>();
    }
    struct NcclWork : Work {
      const NcclBackend* b;
      bool done = false;
      void wait() override {
        if (!done) b->default_stream_after();  // later GPU work on the result queues behind it
        done = true;
      }
      bool test() override { return done || cudaStreamQuery(b->stream_) == cudaSuccess; }
    };
    after_default_stream();
    nccl(ncclAllReduce(data, data, count, type(t), ncclSum, comm_, stream_), "allreduce (async)");
    auto w = std::make_unique<NcclWork>();
    w->b = this;
    return w;
  }
  void do_broadcast(void* data, size_t count, DType t, int root) override {
    if (on_device(data)) {
      after_default_stream();
      nccl(ncclBroadcast(data, data, count, type(t), root, comm_, stream_), "broadcast");
      finish("broadcast");
      return;
    }
    size_t bytes = count * dtype_bytes(t);
    void* d = device(bytes);
    to_dev(d, data, bytes);
    nccl(ncclBroadcast(d, d, count, type(t), root, comm_, stream_), "broadcast");
    to_host(data, d, bytes);
  }
  void do_allgather(const void* in, void* out, size_t count, DType t) override {
    if (on_device(in) && on_device(out)) {
      after_default_stream();
      nccl(ncclAllGather(in, out, count, type(t), comm_, stream_), "allgather");
      finish("allgather");
      return;
    }
    size_t bytes = count * dtype_bytes(t);
    auto* d = static_cast<char*>(device(bytes * static_cast<size_t>(world())));
    to_dev(d + bytes * static_cast<size_t>(rank()), in, bytes);
    nccl(ncclAllGather(d + bytes * static_cast<size_t>(rank()), d, count, type(t), comm_, stream_),
         "allgather");
    to_host(out, d, bytes * static_cast<size_t>(world()));
  }
  void do_reduce_scatter(const void* in, void* out, size_t count, DType t, ReduceOp op) override {
    if (on_device(in) && on_device(out)) {
      after_default_stream();
      nccl(ncclReduceScatter(in, out, count, type(t), red(op), comm_, stream_), "reduce_scatter");
      finish("reduce_scatter");
      return;
    }
    size_t bytes = count * dtype_bytes(t);
    auto* d = static_cast<char*>(device(bytes * (static_cast<size_t>(world()) + 1)));
    to_dev(d, in, bytes * static_cast<size_t>(world()));
    char* o = d + bytes * static_cast<size_t>(world());
    nccl(ncclReduceScatter(d, o, count, type(t), red(op), comm_, stream_), "reduce_scatter");
    to_host(out, o, bytes);
  }
  void do_barrier() override {
    float x = 0;
    do_allreduce(&x, 1, DType::F32, ReduceOp::Sum);
  }

  ncclComm_t comm_;
  cudaStream_t stream_;
  double timeout_;
  mutable bool aborted_ = false;
  void* buf_ = nullptr;
  size_t cap_ = 0;
};

}  // namespace

std::string nccl_library_version() {
  int v = 0;
  ncclGetVersion(&v);
  return std::to_string(v / 10000) + "." + std::to_string(v / 100 % 100) + "." +
         std::to_string(v % 100);
}

std::unique_ptr<Backend> make_nccl(const BackendOptions& o) {
  int devices = 0;
  cudaError_t e = cudaGetDeviceCount(&devices);
  if (e != cudaSuccess || devices == 0) {
    throw RuntimeError(std::string("nccl: no usable GPU on this host (") +
                       (e != cudaSuccess ? cudaGetErrorString(e) : "0 devices") + ")");
  }
  if (o.rendezvous.rfind("file:", 0) != 0) {
    throw ConfigError(
        "nccl needs a rendezvous file ('file:PATH' on a shared file system) to share its unique "
        "id");
  }
  std::string id_path = o.rendezvous.substr(5) + ".nccl-id";
  ncclUniqueId id;
  if (o.rank == 0) {
    if (ncclGetUniqueId(&id) != ncclSuccess) throw RuntimeError("nccl: ncclGetUniqueId failed");
    write_file_atomic(id_path, std::string(id.internal, sizeof id.internal));
  } else {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(o.timeout_s);
    while (!std::filesystem::exists(id_path)) {
      if (std::chrono::steady_clock::now() > deadline)
        throw RuntimeError("nccl: rank 0 did not publish its id in " + id_path);
      std::this_thread::sleep_for(std::chrono::milliseconds(10));  // polling the rendezvous file
    }
    std::string s = read_file(id_path);
    std::copy(s.begin(), s.begin() + static_cast<long>(sizeof id.internal), id.internal);
  }
  if (cudaSetDevice(o.local_rank % devices) != cudaSuccess)
    throw RuntimeError("nccl: cudaSetDevice failed");
  cudaStream_t stream;
  cudaStreamCreate(&stream);
  ncclComm_t comm;
  ncclResult_t r = ncclCommInitRank(&comm, o.world, id, o.rank);
  if (r != ncclSuccess)
    throw RuntimeError(std::string("nccl: ncclCommInitRank failed: ") + ncclGetErrorString(r));
  return std::make_unique<NcclBackend>(comm, stream, o.rank, o.world, o.timeout_s);
}

}  // namespace itwin::comm

#else

namespace itwin::comm {
std::string nccl_library_version() { return ""; }
std::unique_ptr<Backend> make_nccl(const BackendOptions&) {
  throw ConfigError("backend 'nccl' is not built into this itwin");
}
}  // namespace itwin::comm

#endif
