#pragma once
// ZeRO stage 1 (internal to src/train).

#include <memory>

#include "itwin/train/strategy.hpp"

namespace itwin::train {

/// Optimizer state sharded across ranks: all parameters live in one flat
/// buffer cut into `world` equal shards; gradients are reduce-scattered, each
/// rank's optimizer updates only its shard, and the parameters are
/// all-gathered. Optimizer memory per rank drops by the world size.
std::unique_ptr<Strategy> make_zero1(const config::DistributedSpec& spec, comm::Backend& comm);

}  // namespace itwin::train
