// Strategies: local (one rank) and ddp (bucketed, overlapped allreduce).
#include "itwin/train/strategy.hpp"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <string>

#include "itwin/util/error.hpp"
#include "zero1.hpp"

namespace itwin::train {
namespace {

comm::DType dtype_of(const torch::Tensor& t) {
  switch (t.scalar_type()) {
    case torch::kFloat32:
      return comm::DType::F32;
    case torch::kFloat64:
      return comm::DType::F64;
    case torch::kInt64:
      return comm::DType::I64;
    case torch::kInt32:
      return comm::DType::I32;
    case torch::kUInt8:
    case torch::kBool:
      return comm::DType::U8;
    case torch::kHalf:
      return comm::DType::F16;
    case torch::kBFloat16:
      return comm::DType::BF16;
    default:
      throw RuntimeError(std::string("cannot communicate tensors of type ") +
                         c10::toString(t.scalar_type()));
  }
}

using Clock = std::chrono::steady_clock;

torch::Dtype wire_type(config::Compression c) {
  switch (c) {
    case config::Compression::None:
      return torch::kFloat32;
    case config::Compression::Fp16:
      return torch::kHalf;
    case config::Compression::Bf16:
      return torch::kBFloat16;
  }
  return torch::kFloat32;
}

void clip(const std::vector<torch::Tensor>& params, double max_norm) {
  if (max_norm > 0) torch::nn::utils::clip_grad_norm_(params, max_norm);
}

class LocalStrategy : public Strategy {
 public:
  void setup(models::Model&) override {}
  std::vector<torch::Tensor> optimizer_params(models::Model& m) override {
    return params_ = m.parameters();
  }
  void reduce_gradients() override {}
  void step(torch::optim::Optimizer& opt, double grad_clip) override {
    clip(params_, grad_clip);
    opt.step();
  }

 private:
  std::vector<torch::Tensor> params_;
};

// The module a parameter belongs to: its state name up to the last dot
// ("layers.2.weight" -> "layers.2"); "" when it has no name.
std::vector<std::string> module_of(models::Model& model, const std::vector<torch::Tensor>& params) {
  std::vector<std::string> out(params.size());
  auto state = model.state();
  for (size_t k = 0; k < params.size(); ++k) {
    for (const auto& [name, t] : state) {
      if (!t.is_same(params[k])) continue;
      auto dot = name.rfind('.');
      out[k] = dot == std::string::npos ? "" : name.substr(0, dot);
      break;
    }
  }
  return out;
}

// DDP: parameters go into buckets in reverse order (the order backward
// produces their gradients). A hook on each parameter copies its gradient
// into its bucket; a full bucket starts an asynchronous allreduce while
// backward goes on with the earlier layers (the backend makes it progress:
// MPI's progress thread, Gloo's own threads). A module's parameters share a
// bucket: its weight and bias get their gradients from one autograd node, so
// a bucket that held the bias of the next layer down would wait for that
// whole layer's backward before it could start.
//
// Each parameter keeps its own gradient tensor from step to step, and the
// average is copied back into it. Gradients as views into the buckets (reset
// before each backward, so that autograd would hand over its fresh gradient)
// were measured slower: the fresh gradients then outlive backward, the
// allocator keeps returning and re-faulting their pages (~1,000 page faults
// and ~40 ms more CPU per step on the 9.9M MLP), which costs more than the
// copy saves (bench/perf_targets.sh; docs/distributed.md).
class DdpStrategy : public Strategy {
 public:
  DdpStrategy(const config::DistributedSpec& spec, comm::Backend& comm)
      : spec_(spec), comm_(comm) {}

  void setup(models::Model& model) override {
    params_ = model.parameters();
    std::vector<torch::Tensor> all;
    for (auto& [name, t] : model.state()) all.push_back(t);
    broadcast_tensors(comm_, all);
    const int64_t cap =
        std::max<int64_t>(1, static_cast<int64_t>(spec_.bucket_mb * 1024 * 1024 / 4));
    const auto module = module_of(model, params_);
    where_.assign(params_.size(), {0, 0});
    for (size_t k = params_.size(); k-- > 0;) {
      // This parameter and the rest of its module (backward reaches them together).
      int64_t n = 0;
      size_t first = k;
      while (true) {
        n += params_[first].numel();
        if (first == 0 || module[first].empty() || module[first - 1] != module[first]) break;
        --first;
      }
      if (buckets_.empty() || (buckets_.back().numel > 0 && buckets_.back().numel + n > cap))
        buckets_.emplace_back();
      for (size_t j = k + 1; j-- > first;) {
        auto& b = buckets_.back();
        where_[j] = {buckets_.size() - 1, b.numel};
        b.params.push_back(j);
        b.numel += params_[j].numel();
      }
      k = first;
    }
    auto wire = wire_type(spec_.compression);
    // Dividing by a power of two is exact (for normal floats), so for such worlds each rank scales
    // its gradients as it copies them into the buckets, and the sum the
    // allreduce returns is already the average (no pass over the buckets
    // after backward). Otherwise, and before a 16-bit wire, the sum is scaled.
    const int world = comm_.world();
    inv_ = 1.0 / world;
    pre_scale_ = (world & (world - 1)) == 0 && wire == torch::kFloat32;
    const auto on = params_.empty() ? torch::TensorOptions() : params_[0].options();
    // A tensor, not a Scalar: mul_out's Scalar overload computes into a
    // temporary as large as the bucket and copies that (an allocation
    // page-faulted in every step, which made ddp 2-3x slower on the MLP).
    scale_ = torch::full({}, inv_, on.dtype(torch::kFloat32));
    for (auto& b : buckets_) {
      b.flat = torch::zeros({b.numel}, on.dtype(torch::kFloat32));
      b.wire = wire == torch::kFloat32 ? b.flat : torch::zeros({b.numel}, on.dtype(wire));
      b.host = staging_buffer(b.wire, comm_);
    }
    for (size_t k = 0; k < params_.size(); ++k) {
      params_[k].register_hook([this, k](torch::Tensor g) { on_grad(k, g); });
    }
  }

  std::vector<torch::Tensor> optimizer_params(models::Model&) override { return params_; }

  void before_backward(bool sync) override {
    fresh_ = micro_++ == 0;  // first micro-step since the last reduction: p.grad() holds zeros
    sync_ = sync;
    if (!sync) return;
    got_.assign(params_.size(), false);
    for (auto& b : buckets_) {
      b.ready = 0;
      b.work.reset();
    }
  }

  void reduce_gradients() override {
    launch_rest();
    for (auto& b : buckets_) collect(b);
    end_reduction();
  }

  bool steps_per_bucket() const override { return per_bucket_; }

  // Each bucket's parameters are updated as soon as its average is in: the
  // optimizer hides the collectives still in flight. step() skips parameters
  // without a gradient, so each call sees only one bucket's; the optimizers
  // here update each parameter from its own gradient and state alone, so
  // the result is the same bit for bit as one step() after reduce_gradients().
  double reduce_and_step(torch::optim::Optimizer& opt) override {
    launch_rest();
    std::vector<torch::Tensor> held(params_.size());
    for (size_t k = 0; k < params_.size(); ++k) std::swap(held[k], params_[k].mutable_grad());
    double waited = 0;
    for (auto& b : buckets_) {
      for (size_t k : b.params) std::swap(held[k], params_[k].mutable_grad());
      waited += collect(b);
      opt.step();
      for (size_t k : b.params) std::swap(held[k], params_[k].mutable_grad());
    }
    for (size_t k = 0; k < params_.size(); ++k) std::swap(held[k], params_[k].mutable_grad());
    end_reduction();
    return waited;
  }

  void step(torch::optim::Optimizer& opt, double grad_clip) override {
    clip(params_, grad_clip);  // gradients are identical on every rank now
    opt.step();
  }

  double take_comm_seconds() override {
    double s = comm_seconds_;
    comm_seconds_ = 0;
    return s;
  }

  void sync_buffers(models::Model& model) override {
    auto params = model.parameters();
    std::vector<torch::Tensor> buffers;
    for (auto& [name, t] : model.state()) {
      bool is_param = false;
      for (auto& p : params) is_param = is_param || p.is_same(t);
      if (!is_param) buffers.push_back(t);
    }
    broadcast_tensors(comm_, buffers);
  }

 private:
  struct Bucket {
    std::vector<size_t> params;
    int64_t numel = 0;
    torch::Tensor flat, wire;
    torch::Tensor
        host;  ///< pinned host copy for a GPU bucket when the backend takes host memory only
    size_t ready = 0;
    std::unique_ptr<comm::Work> work;
    Clock::time_point launched;
    Clock::time_point ended;
    bool done = false;  ///< its collective was seen complete (ended is set)
  };

  // Starts the buckets still waiting for parameters that got no gradient this step.
  void launch_rest() {
    for (auto& b : buckets_) {
      if (b.work) continue;
      for (size_t k : b.params) {
        if (got_[k]) continue;
        auto slot = b.flat.narrow(0, where_[k].second, params_[k].numel());
        if (!params_[k].grad().defined())
          slot.zero_();
        else if (pre_scale_)
          torch::mul_out(slot, params_[k].grad().reshape(-1), scale_);
        else
          slot.copy_(params_[k].grad().reshape(-1));
      }
      launch(b);
    }
  }

  // Waits for a bucket's collective and copies its average into its
  // parameters' gradients; returns the seconds that took.
  double collect(Bucket& b) {
    const auto t0 = Clock::now();
    torch::NoGradGuard ng;
    b.work->wait();
    finished(b);
    if (b.host.defined()) b.wire.copy_(b.host);
    if (!b.wire.is_same(b.flat)) b.flat.copy_(b.wire);
    if (!pre_scale_) b.flat.mul_(inv_);
    for (size_t k : b.params) {
      auto& p = params_[k];
      if (!p.grad().defined()) p.mutable_grad() = torch::zeros_like(p);
      p.mutable_grad().copy_(b.flat.narrow(0, where_[k].second, p.numel()).view_as(p));
    }
    return std::chrono::duration<double>(Clock::now() - t0).count();
  }

  void end_reduction() {
    comm_seconds_ += in_flight_seconds();
    sync_ = false;
    micro_ = 0;
  }

  // A bucket's collective has completed: note when (the backend's own
  // completion time where it knows it, e.g. MPI's progress thread; else now).
  void finished(Bucket& b) {
    if (b.done) return;
    b.done = true;
    const double at = b.work->completed_at();
    b.ended = at > 0 ? Clock::time_point(std::chrono::duration_cast<Clock::duration>(
                           std::chrono::duration<double>(at)))
                     : Clock::now();
  }

  // The time at least one gradient collective was in flight this step (the
  // union of the buckets' spans: buckets in flight together count once).
  double in_flight_seconds() const {
    std::vector<std::pair<Clock::time_point, Clock::time_point>> spans;
    for (const auto& b : buckets_) spans.emplace_back(b.launched, std::max(b.launched, b.ended));
    std::sort(spans.begin(), spans.end());
    double total = 0;
    for (size_t i = 0; i < spans.size();) {
      auto [from, to] = spans[i];
      for (++i; i < spans.size() && spans[i].first <= to; ++i) to = std::max(to, spans[i].second);
      total += std::chrono::duration<double>(to - from).count();
    }
    return total;
  }

  // Polls the collectives in flight: records completions and, for MPI, drives
  // their progress while backward computes (no progress thread needed).
  void poll() {
    for (auto& b : buckets_) {
      if (b.work && !b.done && b.work->test()) finished(b);
    }
  }

  void on_grad(size_t k, const torch::Tensor& g) {
    if (!sync_) return;  // a non-final micro-step: accumulate locally, no communication
    torch::NoGradGuard ng;
    auto& p = params_[k];
    auto& b = buckets_[where_[k].first];
    auto slot = b.flat.narrow(0, where_[k].second, p.numel());
    // The hook sees this micro-step's gradient; earlier micro-steps sit in p.grad().
    if (!fresh_ && p.grad().defined()) {
      torch::add_out(slot, g.reshape(-1), p.grad().reshape(-1));
      if (pre_scale_) slot.mul_(scale_);
    } else if (pre_scale_) {
      torch::mul_out(slot, g.reshape(-1), scale_);  // the copy into the bucket, scaled on the way
    } else {
      slot.copy_(g.reshape(-1));
    }
    got_[k] = true;
    if (++b.ready == b.params.size()) launch(b);
    poll();
  }

  void launch(Bucket& b) {
    if (!b.wire.is_same(b.flat)) b.wire.copy_(b.flat);
    torch::Tensor& buf = b.host.defined() ? b.host : b.wire;
    if (b.host.defined()) b.host.copy_(b.wire);  // waits for the GPU: the gradients are complete
    b.launched = Clock::now();
    b.done = false;
    b.work = comm_.allreduce_async(buf.data_ptr(), static_cast<size_t>(b.numel), dtype_of(buf));
  }

  config::DistributedSpec spec_;
  comm::Backend& comm_;
  std::vector<torch::Tensor> params_;
  std::vector<Bucket> buckets_;
  std::vector<std::pair<size_t, int64_t>> where_;  // parameter -> (bucket, offset)
  std::vector<bool> got_;
  /// reduce_and_step() may be used: only with ITWIN_DDP_STEP_PER_BUCKET=1 for
  /// now (on 2 busy cores it measured slower: the update and the last bucket's
  /// transfer compete for the same cores; docs/distributed.md)
  bool per_bucket_ = std::getenv("ITWIN_DDP_STEP_PER_BUCKET") &&
                     std::string(std::getenv("ITWIN_DDP_STEP_PER_BUCKET")) == "1";
  double inv_ = 1;          ///< 1 / world
  torch::Tensor scale_;     ///< inv_ as a 0-dim float32 tensor (see setup)
  bool pre_scale_ = false;  ///< gradients enter the buckets already divided by the world
  bool sync_ = false;
  bool fresh_ = true;
  int micro_ = 0;
  double comm_seconds_ = 0;
};

}  // namespace

void broadcast_tensors(comm::Backend& comm, const std::vector<torch::Tensor>& tensors) {
  torch::NoGradGuard ng;
  for (const auto& t : tensors) {
    // A GPU tensor goes through host memory unless the backend takes device pointers.
    auto where = t.is_cuda() && comm.device_memory() ? t.device() : torch::Device(torch::kCPU);
    auto c = t.detach().to(where).contiguous().clone();
    comm.broadcast(c.data_ptr(), static_cast<size_t>(c.numel()), dtype_of(c), 0);
    t.detach().copy_(c);
  }
}

torch::Tensor staging_buffer(const torch::Tensor& like, comm::Backend& comm) {
  if (!like.is_cuda() || comm.device_memory()) return {};
  return torch::empty(like.sizes(), torch::TensorOptions().dtype(like.dtype()).pinned_memory(true));
}

std::unique_ptr<Strategy> make_strategy(const config::DistributedSpec& spec, comm::Backend& comm) {
  if (comm.world() == 1) return std::make_unique<LocalStrategy>();
  switch (spec.strategy) {
    case config::StrategyKind::Zero1:
      return make_zero1(spec, comm);
    case config::StrategyKind::Ddp:
      return std::make_unique<DdpStrategy>(spec, comm);
  }
  throw RuntimeError("unhandled strategy");
}

}  // namespace itwin::train
