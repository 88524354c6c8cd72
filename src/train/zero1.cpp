#include "zero1.hpp"

#include <chrono>
#include <cmath>

namespace itwin::train {
namespace {

class Zero1Strategy : public Strategy {
 public:
  Zero1Strategy(const config::DistributedSpec& spec, comm::Backend& comm)
      : spec_(spec), comm_(comm) {}

  void setup(models::Model& model) override {
    params_ = model.parameters();
    std::vector<torch::Tensor> all;
    for (auto& [name, t] : model.state()) all.push_back(t);
    broadcast_tensors(comm_, all);
    int64_t total = 0;
    for (auto& p : params_) total += p.numel();
    const int64_t w = comm_.world();
    shard_ = (total + w - 1) / w;
    // The flat buffers live where the backend communicates (a GPU only for a
    // backend that takes device memory); the optimizer's shard where the model is.
    param_dev_ = params_.empty() ? torch::Device(torch::kCPU) : params_[0].device();
    comm_dev_ =
        param_dev_.is_cuda() && comm_.device_memory() ? param_dev_ : torch::Device(torch::kCPU);
    flat_ = torch::zeros({shard_ * w}, torch::TensorOptions().device(comm_dev_));
    grads_ = torch::zeros({shard_ * w}, torch::TensorOptions().device(comm_dev_));
    gather_params();  // flat_ <- parameters
    torch::NoGradGuard ng;
    shard_param_ = flat_.narrow(0, shard_ * comm_.rank(), shard_)
                       .to(param_dev_)
                       .clone()
                       .set_requires_grad(true);
  }

  std::vector<torch::Tensor> optimizer_params(models::Model&) override { return {shard_param_}; }

  void reduce_gradients() override {
    torch::NoGradGuard ng;
    int64_t off = 0;
    for (auto& p : params_) {
      auto slot = grads_.narrow(0, off, p.numel());
      if (p.grad().defined())
        slot.copy_(p.grad().reshape(-1));
      else
        slot.zero_();
      off += p.numel();
    }
    auto out = torch::zeros({shard_}, torch::TensorOptions().device(comm_dev_));
    auto t0 = std::chrono::steady_clock::now();
    if (spec_.compression == config::Compression::None) {
      comm_.reduce_scatter(grads_.data_ptr(), out.data_ptr(), static_cast<size_t>(shard_),
                           comm::DType::F32);
    } else {
      auto wire_type =
          spec_.compression == config::Compression::Fp16 ? torch::kHalf : torch::kBFloat16;
      auto wire = grads_.to(wire_type);
      auto wout = torch::zeros({shard_}, torch::TensorOptions().dtype(wire_type).device(comm_dev_));
      comm_.reduce_scatter(wire.data_ptr(), wout.data_ptr(), static_cast<size_t>(shard_),
                           wire_type == torch::kHalf ? comm::DType::F16 : comm::DType::BF16);
      out.copy_(wout);
    }
    comm_seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    shard_param_.mutable_grad() = out.div_(comm_.world()).to(param_dev_);
  }

  void step(torch::optim::Optimizer& opt, double grad_clip) override {
    torch::NoGradGuard ng;
    if (grad_clip > 0) {  // the norm over all shards
      double sq = shard_param_.grad().pow(2).sum().item<double>();
      comm_.allreduce(&sq, 1, comm::DType::F64);
      double norm = std::sqrt(sq);
      if (norm > grad_clip) shard_param_.mutable_grad().mul_(grad_clip / (norm + 1e-6));
    }
    opt.step();
    auto t0 = std::chrono::steady_clock::now();
    auto shard = shard_param_.detach().to(comm_dev_).contiguous();
    comm_.allgather(shard.data_ptr(), flat_.data_ptr(), static_cast<size_t>(shard_),
                    comm::DType::F32);
    comm_seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    int64_t off = 0;
    for (auto& p : params_) {
      p.detach().copy_(flat_.narrow(0, off, p.numel()).view_as(p));
      off += p.numel();
    }
  }

  bool replicated_optimizer() const override { return false; }
  double take_comm_seconds() override {
    double s = comm_seconds_;
    comm_seconds_ = 0;
    return s;
  }

 private:
  void gather_params() {
    torch::NoGradGuard ng;
    int64_t off = 0;
    for (auto& p : params_) {
      flat_.narrow(0, off, p.numel()).copy_(p.detach().reshape(-1));
      off += p.numel();
    }
  }

  config::DistributedSpec spec_;
  comm::Backend& comm_;
  std::vector<torch::Tensor> params_;
  int64_t shard_ = 0;
  double comm_seconds_ = 0;
  torch::Tensor flat_, grads_, shard_param_;
  torch::Device param_dev_ = torch::kCPU, comm_dev_ = torch::kCPU;
};

}  // namespace

std::unique_ptr<Strategy> make_zero1(const config::DistributedSpec& spec, comm::Backend& comm) {
  return std::make_unique<Zero1Strategy>(spec, comm);
}

}  // namespace itwin::train
