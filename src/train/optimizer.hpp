#pragma once
// Optimizer construction and learning-rate setting (internal to src/train).

#include <torch/torch.h>

#include <memory>

#include "itwin/config/specs.hpp"

namespace itwin::train {

std::unique_ptr<torch::optim::Optimizer> make_optimizer(const config::OptimizerSpec& s,
                                                        std::vector<torch::Tensor> params);
void set_lr(torch::optim::Optimizer& opt, double lr);

}  // namespace itwin::train
