#include "itwin/train/runtime_info.hpp"

#include <torch/torch.h>
#include <torch/version.h>

#include "itwin_build.h"

#if ITWIN_TORCH_CUDA
#include <ATen/cuda/CUDAContext.h>
#endif

namespace itwin::train {

std::string libtorch_version() { return TORCH_VERSION; }
int torch_threads() { return torch::get_num_threads(); }
bool cuda_available() { return torch::cuda::is_available(); }

std::string gpu_label(int index) {
  std::string name = "cuda:" + std::to_string(index);
#if ITWIN_TORCH_CUDA
  name += std::string(" (") + at::cuda::getDeviceProperties(index)->name + ")";
#endif
  return name;
}

std::vector<std::string> visible_gpus() {
  std::vector<std::string> out;
  if (!torch::cuda::is_available()) return out;
  const int count = static_cast<int>(torch::cuda::device_count());
  for (int i = 0; i < count; ++i) out.push_back(gpu_label(i));
  return out;
}

}  // namespace itwin::train
