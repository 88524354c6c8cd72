#include "itwin/train/schedule.hpp"

#include <cmath>

namespace itwin::train {

double lr_at(const config::SchedulerSpec& s, double base, int64_t epoch, int64_t epochs) {
  if (epoch < s.warmup_epochs) {
    double f = s.warmup_start + (1.0 - s.warmup_start) * static_cast<double>(epoch) /
                                    static_cast<double>(s.warmup_epochs);
    return base * f;
  }
  int64_t e = epoch - s.warmup_epochs;  // epochs since warmup ended
  switch (s.name) {
    case config::ScheduleKind::None:
      return base;
    case config::ScheduleKind::Step:
      return base * std::pow(s.gamma, static_cast<double>(e / s.step_size));
    case config::ScheduleKind::MultiStep: {
      int passed = 0;
      for (auto m : s.milestones) passed += (e >= m) ? 1 : 0;
      return base * std::pow(s.gamma, passed);
    }
    case config::ScheduleKind::Exponential:
      return base * std::pow(s.gamma, static_cast<double>(e));
    case config::ScheduleKind::Cosine: {
      int64_t t_max = s.t_max > 0 ? s.t_max : std::max<int64_t>(1, epochs - s.warmup_epochs);
      double t = static_cast<double>(std::min(e, t_max)) / static_cast<double>(t_max);
      return s.eta_min + (base - s.eta_min) * 0.5 * (1.0 + std::cos(M_PI * t));
    }
  }
  return base;
}

}  // namespace itwin::train
