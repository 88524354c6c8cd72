#include "itwin/train/objective.hpp"

#include <cmath>

namespace F = torch::nn::functional;

namespace itwin::train {

torch::Tensor compute_loss(const config::TrainerSpec& spec, const torch::Tensor& out,
                           const torch::Tensor& target) {
  switch (spec.loss) {
    case config::LossKind::CrossEntropy:
      return F::cross_entropy(out, target);
    case config::LossKind::Nll:
      return F::nll_loss(torch::log_softmax(out, 1), target);
    case config::LossKind::BceWithLogits:
      return F::binary_cross_entropy_with_logits(out, target.to(out.dtype()).view_as(out));
    case config::LossKind::Mse:
      return F::mse_loss(out, target.view_as(out));
    case config::LossKind::L1:
      return F::l1_loss(out, target.view_as(out));
    case config::LossKind::Huber:
      return F::huber_loss(out, target.view_as(out),
                           F::HuberLossFuncOptions().delta(spec.huber_delta));
  }
  throw std::logic_error("unhandled loss");
}

int64_t MetricSums::topk() const {
  for (const auto& m : metrics_) {
    if (m.kind == config::MetricKind::TopK) return m.k;
  }
  return 0;
}

void MetricSums::add(double batch_loss, const torch::Tensor& out, const torch::Tensor& target) {
  int64_t n = out.size(0);
  s_[kLossSum] += batch_loss * static_cast<double>(n);
  s_[kCount] += static_cast<double>(n);
  if (target.scalar_type() == torch::kLong && out.dim() == 2) {
    s_[kCorrect] += out.argmax(1).eq(target).sum().item<double>();
    int64_t k = std::min<int64_t>(topk(), out.size(1));
    if (k > 0) {
      auto idx = std::get<1>(out.topk(k, 1));
      s_[kTopK] += idx.eq(target.unsqueeze(1)).any(1).sum().item<double>();
    }
    return;
  }
  auto t = target.to(out.dtype()).view_as(out);
  auto err = out - t;
  s_[kAbs] += err.abs().sum().item<double>();
  s_[kSq] += err.pow(2).sum().item<double>();
  s_[kY] += t.sum().item<double>();
  s_[kY2] += t.pow(2).sum().item<double>();
  s_[kElems] += static_cast<double>(t.numel());
}

std::map<std::string, double> MetricSums::finalize(const std::string& prefix) const {
  std::map<std::string, double> m;
  const double n = std::max(1.0, s_[kCount]);
  const double e = std::max(1.0, s_[kElems]);  // regression metrics: over every target value
  m[prefix + "loss"] = s_[kLossSum] / n;
  for (const auto& spec : metrics_) {
    const std::string key = prefix + spec.name();
    switch (spec.kind) {
      case config::MetricKind::Accuracy:
        m[key] = s_[kCorrect] / n;
        break;
      case config::MetricKind::TopK:
        m[key] = s_[kTopK] / n;
        break;
      case config::MetricKind::Mae:
        m[key] = s_[kAbs] / e;
        break;
      case config::MetricKind::Rmse:
        m[key] = std::sqrt(s_[kSq] / e);
        break;
      case config::MetricKind::R2: {
        double sst = s_[kY2] - s_[kY] * s_[kY] / e;
        m[key] = sst > 0 ? 1.0 - s_[kSq] / sst : 0.0;
        break;
      }
    }
  }
  return m;
}

}  // namespace itwin::train
