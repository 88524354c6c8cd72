#include "itwin/train/runtime_info.hpp"

#include <torch/torch.h>
#include <torch/version.h>

namespace itwin::train {

std::string libtorch_version() { return TORCH_VERSION; }
int torch_threads() { return torch::get_num_threads(); }
bool cuda_available() { return torch::cuda::is_available(); }

}  // namespace itwin::train
