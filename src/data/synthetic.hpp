#pragma once
// Synthetic data sets for tests and CI smoke runs (internal to src/data).

#include <torch/torch.h>

#include "itwin/config/specs.hpp"

namespace itwin::data {

struct Synthetic {
  torch::Tensor x, y;
};

/// classification: Gaussian blobs around random class centres;
/// regression: y = xW + noise; sequence: noisy sinusoids [N, T, F] whose
/// targets are means of the last steps (an LSTM can learn it).
Synthetic make_synthetic(const config::SyntheticSpec& s, uint64_t seed);

}  // namespace itwin::data
