#include "itwin/train/device.hpp"

#include <ATen/autocast_mode.h>
#include <torch/version.h>

#include <cstdlib>

#include "itwin/train/checkpoint.hpp"
#include "itwin/train/runtime_info.hpp"
#include "itwin/util/error.hpp"
#include "itwin_build.h"

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
        throw ConfigError(
            std::string("run.device: cuda, but ") +
            (ITWIN_TORCH_CUDA
                 ? std::string("no GPU is visible to this process") +
                       (visible ? " (CUDA_VISIBLE_DEVICES=" + std::string(visible) + ")" : "")
                 : std::string("this itwin's LibTorch has no CUDA (Debian's is CPU-only); build "
                               "against a CUDA LibTorch (docs/gpu.md)")) +
            "; use run.device: cpu or auto");
      }
      break;
  }
  const int count = static_cast<int>(torch::cuda::device_count());
  const int index = local_rank % count;
  return {torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(index)), gpu_label(index)};
}

void check_precision(config::Precision p, const torch::Device& d) {
  if (p == config::Precision::Fp16 && d.is_cpu()) {
    throw ConfigError(
        "precision: fp16 needs a GPU (LibTorch 1.13 autocasts to bfloat16 only on the CPU); use "
        "bf16");
  }
}

namespace {

// LibTorch 2.4 replaced the per-device autocast calls (set_enabled for CUDA,
// set_cpu_enabled, ...) with ones taking the device type.
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
bool autocast_enabled(at::DeviceType t) { return at::autocast::is_autocast_enabled(t); }
void set_autocast(at::DeviceType t, bool on) { at::autocast::set_autocast_enabled(t, on); }
void set_autocast_dtype(at::DeviceType t, at::ScalarType dtype) {
  at::autocast::set_autocast_dtype(t, dtype);
}
#else
bool autocast_enabled(at::DeviceType t) {
  return t == at::kCUDA ? at::autocast::is_enabled() : at::autocast::is_cpu_enabled();
}
void set_autocast(at::DeviceType t, bool on) {
  if (t == at::kCUDA) {
    at::autocast::set_enabled(on);
  } else {
    at::autocast::set_cpu_enabled(on);
  }
}
void set_autocast_dtype(at::DeviceType t, at::ScalarType dtype) {
  if (t == at::kCUDA) {
    at::autocast::set_autocast_gpu_dtype(dtype);
  } else {
    at::autocast::set_autocast_cpu_dtype(dtype);
  }
}
#endif

}  // namespace

Autocast::Autocast(config::Precision p, const torch::Device& d) {
  switch (p) {
    case config::Precision::Fp32:
      return;
    case config::Precision::Bf16:
    case config::Precision::Fp16:
      break;
  }
  const auto dtype = p == config::Precision::Bf16 ? at::kBFloat16 : at::kHalf;
  type_ = d.is_cuda() ? at::kCUDA : at::kCPU;
  prev_ = autocast_enabled(type_);
  set_autocast_dtype(type_, dtype);
  set_autocast(type_, true);
  active_ = true;
  at::autocast::increment_nesting();
}

Autocast::~Autocast() {
  if (!active_) return;
  if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
  set_autocast(type_, prev_);
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

void LossScaler::save(TrainState& st) const {
  st.loss_scale = enabled_ ? scale_ : 0;
  st.scale_growth = growth_;
}

void LossScaler::load(const TrainState& st) {
  if (st.loss_scale > 0) restore(st.loss_scale, st.scale_growth);
}

}  // namespace itwin::train
