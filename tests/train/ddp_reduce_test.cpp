// ddp's gradient reduction (src/train/strategy.cpp) in one process, against a
// stand-in world of 2 whose other rank has the same gradients: the reduced
// gradient equals the local one bit for bit, for every bucket layout, and
// each parameter keeps one gradient tensor from step to step (a gradient
// re-allocated every step was what made ddp slow on the 9.9M MLP).
// LibTorch pulls in glog, whose CHECK macro collides with Catch's: include
// torch first, drop glog's CHECK, then Catch.
#include "itwin/comm/backend.hpp"
#include "itwin/models/model.hpp"
#include "itwin/train/strategy.hpp"
#undef CHECK

#include <c10/core/CPUAllocator.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <cstring>

using namespace itwin;

namespace {

// Rank 0 of 2; rank 1 is a mirror of it (a sum is twice the local value).
class MirrorBackend : public comm::Backend {
 public:
  MirrorBackend() : Backend("mirror", 0, 2) {}
  int allreduces = 0;

 private:
  void do_allreduce(void* data, size_t count, comm::DType t, comm::ReduceOp) override {
    REQUIRE(t == comm::DType::F32);
    auto* f = static_cast<float*>(data);
    for (size_t i = 0; i < count; ++i) f[i] += f[i];
    ++allreduces;
  }
  void do_broadcast(void*, size_t, comm::DType, int) override {}
  void do_allgather(const void* in, void* out, size_t count, comm::DType t) override {
    REQUIRE(t == comm::DType::F32);
    for (int r = 0; r < 2; ++r) std::memcpy(static_cast<float*>(out) + r * count, in, count * 4);
  }
  void do_reduce_scatter(const void*, void*, size_t, comm::DType, comm::ReduceOp) override {
    FAIL("ddp does not reduce-scatter");
  }
  void do_barrier() override {}
};

// Counts the bytes of CPU tensors allocated while it is installed.
class CountingAllocator : public c10::Allocator {
 public:
  CountingAllocator() : base_(c10::GetCPUAllocator()) { c10::SetCPUAllocator(this, 100); }
  ~CountingAllocator() override { c10::SetCPUAllocator(base_, 100); }
  c10::DataPtr allocate(size_t n) const override {
    bytes += n;
    return base_->allocate(n);
  }
  c10::DeleterFnPtr raw_deleter() const override { return base_->raw_deleter(); }
  mutable std::atomic<size_t> bytes{0};

 private:
  c10::Allocator* base_;
};

std::shared_ptr<models::Model> mlp() {
  config::ModelSpec m;
  m.arch = config::Arch::Mlp;
  m.hidden = {48, 32};
  m.dropout = 0;
  torch::manual_seed(5);
  return models::build_model(m, {{20}, 4}, "model");
}

torch::Tensor loss_of(models::Model& m, int step) {
  torch::manual_seed(100 + step);
  auto x = torch::randn({16, 20});
  auto y = torch::randint(0, 4, {16});
  return torch::nn::functional::cross_entropy(m.forward(x), y);
}

}  // namespace

TEST_CASE("ddp: the reduced gradient is the local one, in the same tensor every step", "[ddp]") {
  for (double bucket_mb : {25.0, 0.001}) {  // one bucket per module; one per parameter
    CAPTURE(bucket_mb);
    MirrorBackend comm;
    config::DistributedSpec spec;
    spec.bucket_mb = bucket_mb;
    auto strategy = train::make_strategy(spec, comm);
    auto model = mlp(), alone = mlp();
    strategy->setup(*model);
    auto params = strategy->optimizer_params(*model);
    auto ref = alone->parameters();
    REQUIRE(params.size() == ref.size());
    std::vector<const void*> where;
    size_t ddp_bytes = 0, alone_bytes = 0;
    for (int step = 0; step < 3; ++step) {
      for (auto& p : params)
        if (p.grad().defined()) p.mutable_grad().zero_();
      for (auto& p : ref)
        if (p.grad().defined()) p.mutable_grad().zero_();
      {
        CountingAllocator counted;
        strategy->before_backward(true);
        loss_of(*model, step).backward();
        strategy->reduce_gradients();
        if (step > 0) ddp_bytes += counted.bytes;  // step 0 allocates the gradients
      }
      {
        CountingAllocator counted;
        loss_of(*alone, step).backward();
        if (step > 0) alone_bytes += counted.bytes;
      }
      for (size_t k = 0; k < params.size(); ++k) {
        REQUIRE(params[k].grad().defined());
        CHECK(torch::equal(params[k].grad(), ref[k].grad()));  // (g/2 + g/2) == g exactly
        if (step == 0) where.push_back(params[k].grad().data_ptr());
        CHECK(params[k].grad().data_ptr() == where[k]);
      }
    }
    // The reduction allocates nothing a plain backward does not (a bucket-sized
    // temporary per step is what made ddp 2-3x slower on the 9.9M MLP).
    CHECK(ddp_bytes == alone_bytes);
    // 25 MB: one bucket; the smallest: one per module (a weight and its bias together).
    CHECK(comm.allreduces == (bucket_mb > 1 ? 3 : 3 * 3));
  }
}

TEST_CASE("ddp: updating each bucket as its average arrives gives the same weights", "[ddp]") {
  for (double bucket_mb : {25.0, 0.001}) {
    for (bool adam : {false, true}) {
      CAPTURE(bucket_mb, adam);
      MirrorBackend comm_a, comm_b;
      config::DistributedSpec spec;
      spec.bucket_mb = bucket_mb;
      auto a = train::make_strategy(spec, comm_a), b = train::make_strategy(spec, comm_b);
      auto ma = mlp(), mb = mlp();
      a->setup(*ma);
      b->setup(*mb);
      auto optimizer =
          [&](std::vector<torch::Tensor> p) -> std::unique_ptr<torch::optim::Optimizer> {
        if (adam) return std::make_unique<torch::optim::Adam>(p, torch::optim::AdamOptions(0.01));
        return std::make_unique<torch::optim::SGD>(
            p, torch::optim::SGDOptions(0.05).momentum(0.9).nesterov(true));
      };
      auto oa = optimizer(a->optimizer_params(*ma)), ob = optimizer(b->optimizer_params(*mb));
      for (int step = 0; step < 4; ++step) {
        oa->zero_grad();
        ob->zero_grad();
        a->before_backward(true);
        loss_of(*ma, step).backward();
        a->reduce_gradients();
        a->step(*oa, 0);
        b->before_backward(true);
        loss_of(*mb, step).backward();
        CHECK(b->reduce_and_step(*ob) >= 0);
      }
      auto pa = ma->parameters(), pb = mb->parameters();
      for (size_t k = 0; k < pa.size(); ++k) {
        CHECK(torch::equal(pa[k], pb[k]));
        CHECK(torch::equal(pa[k].grad(), pb[k].grad()));
      }
      CHECK_FALSE(torch::equal(pa[0], mlp()->parameters()[0]));  // it did train
    }
  }
}
