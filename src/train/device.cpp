#include "itwin/train/device.hpp"

#include <ATen/autocast_mode.h>

#include <cstdlib>

#include "itwin/util/error.hpp"
#include "itwin_build.h"

#if ITWIN_TORCH_CUDA
#include <ATen/cuda/CUDAContext.h>
#endif

namespace itwin::train {

DeviceChoice choose_device(config::DeviceKind kind, int local_rank) {
  const bool have = torch::cuda::is_available();
  switch (kind) {
    case config::DeviceKind::Cpu:
      return {};
    case config::DeviceKind::Auto:
      if (!have) return {};
      break;
    case config::DeviceKind::Cuda:
      if (!have) {
        const char* visible = std::getenv("CUDA_VISIBLE_DEVICES");
        throw ConfigError(std::string("run.device: cuda, but ") +
                          (ITWIN_TORCH_CUDA ? std::string("no GPU is visible to this process") +
                                                  (visible ? " (CUDA_VISIBLE_DEVICES=" + std::string(visible) + ")" : "")
                                            : std::string("this itwin's LibTorch has no CUDA (Debian's is CPU-only); build "
                                                          "against a CUDA LibTorch (docs/gpu.md)")) +
                          "; use run.device: cpu or auto");
      }
      break;
  }
  const int count = static_cast<int>(torch::cuda::device_count());
  const int index = local_rank % count;
  DeviceChoice c{torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(index)), "cuda:" + std::to_string(index)};
#if ITWIN_TORCH_CUDA
  c.name += std::string(" (") + at::cuda::getDeviceProperties(index)->name + ")";
#endif
  return c;
}

void check_precision(config::Precision p, const torch::Device& d) {
  if (p == config::Precision::Fp16 && d.is_cpu()) {
    throw ConfigError("precision: fp16 needs a GPU (LibTorch 1.13 autocasts to bfloat16 only on the CPU); use bf16");
  }
}

Autocast::Autocast(config::Precision p, const torch::Device& d) {
  switch (p) {
    case config::Precision::Fp32:
      return;
    case config::Precision::Bf16:
    case config::Precision::Fp16:
      break;
  }
  const auto dtype = p == config::Precision::Bf16 ? at::kBFloat16 : at::kHalf;
  if (d.is_cuda()) {
    prev_ = at::autocast::is_enabled();
    at::autocast::set_autocast_gpu_dtype(dtype);
    at::autocast::set_enabled(true);
    gpu_ = true;
  } else {
    prev_ = at::autocast::is_cpu_enabled();
    at::autocast::set_autocast_cpu_dtype(dtype);
    at::autocast::set_cpu_enabled(true);
    cpu_ = true;
  }
  at::autocast::increment_nesting();
}

Autocast::~Autocast() {
  if (!cpu_ && !gpu_) return;
  if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
  if (gpu_) at::autocast::set_enabled(prev_);
  if (cpu_) at::autocast::set_cpu_enabled(prev_);
}

bool LossScaler::unscale(const std::vector<torch::Tensor>& params) const {
  if (!enabled_) return true;
  torch::NoGradGuard ng;
  bool finite = true;
  for (const auto& p : params) {
    if (!p.grad().defined()) continue;
    auto g = p.mutable_grad();
    g.div_(scale_);
    finite = finite && torch::isfinite(g).all().item<bool>();
  }
  return finite;
}

void LossScaler::update(bool finite) {
  if (!enabled_) return;
  if (!finite) {
    scale_ *= 0.5;
    growth_ = 0;
  } else if (++growth_ >= 2000) {
    scale_ *= 2;
    growth_ = 0;
  }
}

}  // namespace itwin::train
