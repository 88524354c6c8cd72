#pragma once
// The cache's lookup (data_cache.hpp), for the dataset step (internal to src/train).

#include <optional>

#include "itwin/config/specs.hpp"
#include "itwin/data/dataset.hpp"

namespace itwin::train {

/// The data a warmed cache holds for this step's spec and seed, else nullopt.
std::optional<data::DataSplits> cached_dataset(const config::DatasetSpec& spec, uint64_t seed);

}  // namespace itwin::train
