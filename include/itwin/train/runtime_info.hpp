#pragma once
/// What the LibTorch runtime of this build offers, for `itwin backends` and
/// `itwin version`; callable without including torch headers.

#include <string>

namespace itwin::train {

std::string libtorch_version();
int torch_threads();
bool cuda_available();  ///< LibTorch's own view (Debian's build is CPU-only)

}  // namespace itwin::train
