// `gloo`: LibTorch's c10d::ProcessGroupGloo (Debian's libtorch has it; the
// headers need libgloo-dev and -DUSE_C10D_GLOO). Rendezvous through a file
// store on a shared path or a TCP store on rank 0, so no MPI is needed.
#include "factories.hpp"
#include "itwin/util/error.hpp"
#include "itwin_build.h"

#if ITWIN_HAVE_GLOO
#include <torch/torch.h>

#include <chrono>
#include <cstdlib>
#include <torch/csrc/distributed/c10d/FileStore.hpp>
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

namespace itwin::comm {
namespace {

torch::Dtype torch_type(DType t) {
  switch (t) {
    case DType::F32:
      return torch::kFloat32;
    case DType::F64:
      return torch::kFloat64;
    case DType::F16:
      return torch::kHalf;
    case DType::BF16:
      return torch::kBFloat16;
    case DType::I32:
      return torch::kInt32;
    case DType::I64:
      return torch::kInt64;
    case DType::U8:
      return torch::kUInt8;
  }
  return torch::kFloat32;
}

c10d::ReduceOp reduce_op(ReduceOp op) {
  return op == ReduceOp::Sum   ? c10d::ReduceOp::SUM
         : op == ReduceOp::Max ? c10d::ReduceOp::MAX
                               : c10d::ReduceOp::MIN;
}

std::string first_line(const std::exception& e) {
  std::string m = e.what();
  if (auto* ce = dynamic_cast<const c10::Error*>(&e)) m = ce->what_without_backtrace();
  return m.substr(0, m.find('\n'));
}

class GlooBackend : public Backend {
 public:
  GlooBackend(c10::intrusive_ptr<c10d::ProcessGroupGloo> pg, int rank, int world)
      : Backend("gloo", rank, world), pg_(std::move(pg)) {}

 private:
  torch::Tensor wrap(const void* p, size_t count, DType t) const {
    return torch::from_blob(const_cast<void*>(p), {static_cast<int64_t>(count)},
                            torch::TensorOptions().dtype(torch_type(t)));
  }
  template <class F>
  void run(const char* op, F&& f) const {
    try {
      f();
    } catch (const std::exception& e) {
      fail(op, first_line(e));
    }
  }

  // Gloo (LibTorch 1.13) cannot reduce bfloat16: such buffers travel as
  // float32 and are rounded back (correct, but without the bandwidth saving).
  void do_allreduce(void* data, size_t count, DType t, ReduceOp op) override {
    run("allreduce", [&] {
      auto user = wrap(data, count, t);
      std::vector<torch::Tensor> v{t == DType::BF16 ? user.to(torch::kFloat32) : user};
      c10d::AllreduceOptions o;
      o.reduceOp = reduce_op(op);
      pg_->allreduce(v, o)->wait();
      if (t == DType::BF16) user.copy_(v[0]);
    });
  }
  std::unique_ptr<Work> do_allreduce_async(void* data, size_t count, DType t) override {
    struct GlooWork : Work {
      c10::intrusive_ptr<c10d::Work> w;
      std::vector<torch::Tensor> keep;
      torch::Tensor user;  // a bfloat16 buffer that travels as float32
      const GlooBackend* b;
      void wait() override {
        b->run("allreduce (async)", [&] {
          w->wait();
          if (user.defined()) user.copy_(keep[0]);
        });
      }
      bool test() override { return w->isCompleted(); }
    };
    auto w = std::make_unique<GlooWork>();
    w->b = this;
    auto user = wrap(data, count, t);
    if (t == DType::BF16) w->user = user;
    w->keep = {t == DType::BF16 ? user.to(torch::kFloat32) : user};
    run("allreduce (async)", [&] { w->w = pg_->allreduce(w->keep); });
    return w;
  }
  void do_broadcast(void* data, size_t count, DType t, int root) override {
    run("broadcast", [&] {
      std::vector<torch::Tensor> v{wrap(data, count, t)};
      c10d::BroadcastOptions o;
      o.rootRank = root;
      pg_->broadcast(v, o)->wait();
    });
  }
  void do_allgather(const void* in, void* out, size_t count, DType t) override {
    run("allgather", [&] {
      std::vector<torch::Tensor> input{wrap(in, count, t)};
      auto flat = wrap(out, count * static_cast<size_t>(world()), t);
      std::vector<std::vector<torch::Tensor>> outputs(1);
      for (int r = 0; r < world(); ++r)
        outputs[0].push_back(
            flat.narrow(0, static_cast<int64_t>(count) * r, static_cast<int64_t>(count)));
      pg_->allgather(outputs, input)->wait();
    });
  }
  // Gloo in LibTorch 1.13 has no reduce_scatter: allreduce a copy, keep our slice.
  void do_reduce_scatter(const void* in, void* out, size_t count, DType t, ReduceOp op) override {
    run("reduce_scatter", [&] {
      auto full = wrap(in, count * static_cast<size_t>(world()), t)
                      .to(t == DType::BF16 ? torch::kFloat32 : torch_type(t), false, true);
      std::vector<torch::Tensor> v{full};
      c10d::AllreduceOptions o;
      o.reduceOp = reduce_op(op);
      pg_->allreduce(v, o)->wait();
      wrap(out, count, t)
          .copy_(full.narrow(0, static_cast<int64_t>(count) * rank(), static_cast<int64_t>(count)));
    });
  }
  void do_barrier() override {
    run("barrier", [&] { pg_->barrier()->wait(); });
  }

  c10::intrusive_ptr<c10d::ProcessGroupGloo> pg_;
};

}  // namespace

std::unique_ptr<Backend> make_gloo(const BackendOptions& o) {
  const std::string& rv = o.rendezvous;
  auto timeout = std::chrono::milliseconds(static_cast<int64_t>(o.timeout_s * 1000));
  c10::intrusive_ptr<c10d::Store> store;
  try {
    if (rv.rfind("file:", 0) == 0) {
      store = c10::make_intrusive<c10d::FileStore>(rv.substr(5), o.world);
    } else if (rv.rfind("tcp:", 0) == 0) {
      auto rest = rv.substr(4);
      auto colon = rest.rfind(':');
      if (colon == std::string::npos)
        throw ConfigError("gloo rendezvous '" + rv + "': expected tcp:HOST:PORT");
      c10d::TCPStoreOptions so;
      so.port = static_cast<uint16_t>(std::atoi(rest.substr(colon + 1).c_str()));
      so.isServer = o.rank == 0;
      so.numWorkers = static_cast<size_t>(o.world);
      so.timeout = timeout;
      store = c10::make_intrusive<c10d::TCPStore>(rest.substr(0, colon), so);
    } else {
      throw ConfigError(
          "gloo needs a rendezvous: 'file:PATH' on a shared file system or 'tcp:HOST:PORT' "
          "(set distributed.rendezvous, or MASTER_ADDR/MASTER_PORT; itwin --nproc sets one)");
    }
    store->setTimeout(timeout);
    auto opts = c10d::ProcessGroupGloo::Options::create(timeout);
    if (const char* ifname = std::getenv("GLOO_SOCKET_IFNAME")) {
      opts->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(ifname));
    } else if (o.local_world == o.world) {  // every rank on this host: loopback
      opts->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1"));
    } else {
      opts->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
    }
    auto pg = c10::make_intrusive<c10d::ProcessGroupGloo>(
        c10::make_intrusive<c10d::PrefixStore>("itwin", store), o.rank, o.world, opts);
    return std::make_unique<GlooBackend>(pg, o.rank, o.world);
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    throw RuntimeError("gloo: cannot join the world as rank " + std::to_string(o.rank) + "/" +
                       std::to_string(o.world) + " via " + rv + ": " + first_line(e));
  }
}

}  // namespace itwin::comm

#else

namespace itwin::comm {
std::unique_ptr<Backend> make_gloo(const BackendOptions&) {
  throw ConfigError("backend 'gloo' is not built into this itwin");
}
}  // namespace itwin::comm

#endif
