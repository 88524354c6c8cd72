#pragma once
/// In-memory data sets as tensors, split into train/validation/test, and
/// the batching that walks them. Torch TU territory.

#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

#include "itwin/config/specs.hpp"

namespace itwin::data {

struct TensorData {
  torch::Tensor x;  ///< [N, ...] float32
  torch::Tensor y;  ///< [N] int64 (classification) or [N, T] float32 (regression)
  int64_t size() const { return x.defined() ? x.size(0) : 0; }
};

struct DataSplits {
  TensorData train, val, test;
  bool classification = true;
  int64_t num_classes = 0;            ///< classification
  int64_t num_targets = 0;            ///< regression
  std::vector<int64_t> sample_shape;  ///< x.shape without N
  std::string description;            ///< for logs: "idx /usr/share/..."
  bool shuffle = true;                ///< reshuffle the training set every epoch
};

/// Loads and splits the data set a step describes. `seed` drives the
/// shuffle before splitting. Errors name the step and the file.
DataSplits load_dataset(const config::DatasetSpec& spec, uint64_t seed, const std::string& step_name);

/// Deterministic permutation of 0..n-1 from (seed, epoch): the same on every
/// platform and independent of any global RNG, so a resumed run replays it.
std::vector<int64_t> permutation(int64_t n, uint64_t seed, uint64_t epoch);

/// Indices of one epoch for rank `rank` of `world`, like PyTorch's
/// DistributedSampler: shuffle by seed+epoch, pad by wrapping (or drop the
/// tail) so every rank gets the same count, then take every world-th index.
std::vector<int64_t> epoch_indices(int64_t n, bool shuffle, uint64_t seed, uint64_t epoch, int rank = 0,
                                   int world = 1, bool drop_last = false);

/// The batch at [begin, end) of `order`.
TensorData gather(const TensorData& d, const std::vector<int64_t>& order, size_t begin, size_t end);

}  // namespace itwin::data
