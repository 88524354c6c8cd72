#include "optimizer.hpp"

#include "itwin/util/error.hpp"

namespace itwin::train {

std::unique_ptr<torch::optim::Optimizer> make_optimizer(const config::OptimizerSpec& s,
                                                        std::vector<torch::Tensor> params) {
  namespace o = torch::optim;
  switch (s.name) {
    case config::OptimizerKind::Sgd:
      return std::make_unique<o::SGD>(params, o::SGDOptions(s.lr)
                                                  .momentum(s.momentum)
                                                  .nesterov(s.nesterov)
                                                  .weight_decay(s.weight_decay));
    case config::OptimizerKind::Adam:
      return std::make_unique<o::Adam>(params, o::AdamOptions(s.lr)
                                                   .betas({s.betas[0], s.betas[1]})
                                                   .eps(s.eps)
                                                   .weight_decay(s.weight_decay));
    case config::OptimizerKind::AdamW:
      return std::make_unique<o::AdamW>(params, o::AdamWOptions(s.lr)
                                                    .betas({s.betas[0], s.betas[1]})
                                                    .eps(s.eps)
                                                    .weight_decay(s.weight_decay));
    case config::OptimizerKind::RmsProp:
      return std::make_unique<o::RMSprop>(params, o::RMSpropOptions(s.lr)
                                                      .alpha(s.alpha)
                                                      .eps(s.eps)
                                                      .momentum(s.momentum)
                                                      .weight_decay(s.weight_decay));
    case config::OptimizerKind::Adagrad:
      return std::make_unique<o::Adagrad>(
          params, o::AdagradOptions(s.lr).eps(s.eps).weight_decay(s.weight_decay));
  }
  throw RuntimeError("unhandled optimizer");
}

void set_lr(torch::optim::Optimizer& opt, double lr) {
  for (auto& g : opt.param_groups()) g.options().set_lr(lr);
}

}  // namespace itwin::train
