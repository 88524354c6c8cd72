#include "itwin/monitor/energy.hpp"

namespace itwin::monitor {

void TrapezoidIntegrator::add(double t_s, double watts) {
  if (n_ > 0 && t_s > t_) joules_ += 0.5 * (w_ + watts) * (t_s - t_);
  if (n_ == 0 || t_s > t_) {
    t_ = t_s;
    w_ = watts;
    ++n_;
  }
}

double trapezoid_wh(const std::vector<PowerSample>& trace) {
  TrapezoidIntegrator integ;
  for (const auto& s : trace) integ.add(s.t_s, s.watts);
  return joules_to_wh(integ.joules());
}

uint64_t counter_delta(uint64_t before, uint64_t after, uint64_t max_range) {
  if (after >= before) return after - before;
  if (max_range == 0 || before > max_range) return 0;
  return (max_range - before) + after;
}

}  // namespace itwin::monitor
