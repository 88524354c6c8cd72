#include "itwin/train/objective.hpp"

#include <cmath>

namespace F = torch::nn::functional;

namespace itwin::train {

bool loss_is_classification(const std::string& loss) { return loss == "cross_entropy" || loss == "nll"; }

torch::Tensor compute_loss(const config::TrainerSpec& spec, const torch::Tensor& out, const torch::Tensor& target) {
  const auto& l = spec.loss;
  if (l == "cross_entropy") return F::cross_entropy(out, target);
  if (l == "nll") return F::nll_loss(torch::log_softmax(out, 1), target);
  if (l == "bce_with_logits") return F::binary_cross_entropy_with_logits(out, target.to(out.dtype()).view_as(out));
  auto t = target.view_as(out);
  if (l == "mse") return F::mse_loss(out, t);
  if (l == "l1") return F::l1_loss(out, t);
  return F::huber_loss(out, t, F::HuberLossFuncOptions().delta(spec.huber_delta));
}

int64_t MetricSums::topk() const {
  for (const auto& m : metrics_) {
    if (m.rfind("top", 0) == 0) return std::stoll(m.substr(3));
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
  double n = std::max(1.0, s_[kCount]);
  m[prefix + "loss"] = s_[kLossSum] / n;
  for (const auto& name : metrics_) {
    if (name == "accuracy") {
      m[prefix + name] = s_[kCorrect] / n;
    } else if (name.rfind("top", 0) == 0) {
      m[prefix + name] = s_[kTopK] / n;
    } else {  // regression metrics are over every target value (samples x targets)
      double e = std::max(1.0, s_[kElems]);
      if (name == "mae") m[prefix + name] = s_[kAbs] / e;
      if (name == "rmse") m[prefix + name] = std::sqrt(s_[kSq] / e);
      if (name == "r2") {
        double sst = s_[kY2] - s_[kY] * s_[kY] / e;
        m[prefix + name] = sst > 0 ? 1.0 - s_[kSq] / sst : 0.0;
      }
    }
  }
  return m;
}

}  // namespace itwin::train
