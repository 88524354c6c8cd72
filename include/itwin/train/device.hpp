#pragma once
/// Where a rank's tensors live (run.device), and mixed precision
/// (train.precision): autocast around the forward pass, float32 master
/// weights, dynamic loss scaling for float16.

#include <torch/torch.h>

#include <string>
#include <vector>

#include "itwin/config/catalogs.hpp"

namespace itwin::train {

struct TrainState;  // checkpoint.hpp

struct DeviceChoice {
  torch::Device device = torch::kCPU;
  std::string name = "cpu";  ///< "cpu", "cuda:0", "cuda:0 (NVIDIA H200)"
};

/// run.device for a rank: `auto` is CUDA when this LibTorch has it and a GPU
/// is visible, else the CPU; a rank takes the GPU of its local rank among
/// the visible ones (CUDA_VISIBLE_DEVICES, and SLURM's --gpu-bind and
/// --gpus-per-task, which narrow what is visible). `cuda` without a usable
/// GPU is a ConfigError saying why.
DeviceChoice choose_device(config::DeviceKind kind, int local_rank);

/// Autocast for the scope (forward and loss): bf16 on CPU or GPU, fp16 on
/// GPU; nothing for fp32. fp16 on the CPU is a ConfigError (LibTorch 1.13's
/// CPU autocast has bf16 only).
class Autocast {
 public:
  Autocast(config::Precision p, const torch::Device& d);
  ~Autocast();
  Autocast(const Autocast&) = delete;
  Autocast& operator=(const Autocast&) = delete;

 private:
  c10::DeviceType type_ = c10::DeviceType::CPU;
  bool active_ = false, prev_ = false;
};

/// Checks a precision against a device before training (throws ConfigError).
void check_precision(config::Precision p, const torch::Device& d);

/// Dynamic loss scaling for fp16, as PyTorch's GradScaler: the loss is
/// multiplied by the scale before backward; after the gradients are reduced
/// they are divided by it; a step with an inf/NaN gradient is skipped and the
/// scale halves; 2000 finite steps in a row double it.
class LossScaler {
 public:
  explicit LossScaler(bool enabled) : enabled_(enabled) {}
  bool enabled() const { return enabled_; }
  torch::Tensor scale(const torch::Tensor& loss) const { return enabled_ ? loss * scale_ : loss; }
  /// Unscales `grads` in place; true when every one is finite.
  bool unscale(const std::vector<torch::Tensor>& params) const;
  /// After a step was taken (`finite`) or skipped.
  void update(bool finite);
  double value() const { return scale_; }
  int64_t growth() const { return growth_; }
  void restore(double scale, int64_t growth) {
    scale_ = scale;
    growth_ = growth;
  }
  /// Into a checkpoint's state (loss_scale 0: no loss scaling), and back
  /// from it (a state without a loss scale leaves this one as it is).
  void save(TrainState& st) const;
  void load(const TrainState& st);

 private:
  bool enabled_;
  double scale_ = 65536.0;
  int64_t growth_ = 0;  ///< finite steps since the scale last changed
};

}  // namespace itwin::train
