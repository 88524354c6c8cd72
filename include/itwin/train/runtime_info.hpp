#pragma once
/// What the LibTorch runtime of this build offers, for `itwin backends` and
/// `itwin version`; callable without including torch headers.

#include <string>
#include <vector>

namespace itwin::train {

std::string libtorch_version();
int torch_threads();
bool cuda_available();  ///< LibTorch's own view (Debian's build is CPU-only)
/// "cuda:I (NAME)" (the name where this LibTorch has CUDA).
std::string gpu_label(int index);
/// The GPUs this process sees, as gpu_label() (empty without CUDA).
std::vector<std::string> visible_gpus();

}  // namespace itwin::train
