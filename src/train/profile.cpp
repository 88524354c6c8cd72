#include "itwin/train/profile.hpp"

namespace itwin::train {

const char* phase_name(Phase p) {
  switch (p) {
    case Phase::Data:
      return "data";
    case Phase::Forward:
      return "forward";
    case Phase::Backward:
      return "backward";
    case Phase::CommExposed:
      return "comm_exposed";
    case Phase::Optimizer:
      return "optimizer";
    case Phase::Comm:
      return "comm";
    case Phase::Checkpoint:
      return "checkpoint";
    case Phase::Logging:
      return "logging";
    case Phase::kCount:
      break;
  }
  return "?";
}

std::map<std::string, double> PhaseTimes::ms_per_step() const {
  std::map<std::string, double> m;
  const double n = steps_ > 0 ? static_cast<double>(steps_) : 1.0;
  for (size_t i = 0; i < s_.size(); ++i) m[phase_name(static_cast<Phase>(i))] = s_[i] * 1000.0 / n;
  return m;
}

std::array<double, static_cast<size_t>(Phase::kCount) + 1> PhaseTimes::raw() const {
  std::array<double, static_cast<size_t>(Phase::kCount) + 1> r{};
  for (size_t i = 0; i < s_.size(); ++i) r[i] = s_[i];
  r.back() = static_cast<double>(steps_);
  return r;
}

PhaseTimes PhaseTimes::from_raw(const double* raw) {
  PhaseTimes t;
  for (size_t i = 0; i < t.s_.size(); ++i) t.s_[i] = raw[i];
  t.steps_ = static_cast<int64_t>(raw[t.s_.size()]);
  return t;
}

}  // namespace itwin::train
