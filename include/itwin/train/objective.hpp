#pragma once
/// Loss functions and metrics. Metrics accumulate plain sums over an epoch
/// (so a distributed run can all-reduce them) and are finalized at the end.

#include <torch/torch.h>

#include <map>
#include <string>
#include <vector>

#include "itwin/config/specs.hpp"

namespace itwin::train {

/// loss(output, target) for the spec's loss.
torch::Tensor compute_loss(const config::TrainerSpec& spec, const torch::Tensor& out,
                           const torch::Tensor& target);

class MetricSums {
 public:
  explicit MetricSums(std::vector<config::MetricSpec> metrics) : metrics_(std::move(metrics)) {}
  /// Adds one batch: its mean loss and (detached) outputs and targets.
  void add(double batch_loss, const torch::Tensor& out, const torch::Tensor& target);
  /// Raw sums, in a fixed order, for cross-rank reduction.
  std::vector<double>& sums() { return s_; }
  /// "<prefix>loss", "<prefix>accuracy", ...
  std::map<std::string, double> finalize(const std::string& prefix) const;

 private:
  enum Slot { kLossSum, kCount, kCorrect, kTopK, kAbs, kSq, kY, kY2, kElems, kSlots };
  std::vector<config::MetricSpec> metrics_;
  std::vector<double> s_ = std::vector<double>(kSlots, 0.0);
  int64_t topk() const;
};

}  // namespace itwin::train
