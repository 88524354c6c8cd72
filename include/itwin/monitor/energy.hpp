#pragma once
/// Energy arithmetic of the hardware monitor: power samples integrated over
/// their real sample times, wrapping energy counters, CO2-equivalent. Pure
/// functions, no I/O.

#include <cstdint>
#include <vector>

namespace itwin::monitor {

/// One power reading at `t_s` seconds on a monotonic clock.
struct PowerSample {
  double t_s = 0;
  double watts = 0;
};

/// Running trapezoid rule: each new sample adds the area between it and the
/// previous one, (p0 + p1) / 2 * (t1 - t0), whatever the spacing. Samples
/// must come in time order; a sample not later than the previous one adds nothing.
class TrapezoidIntegrator {
 public:
  void add(double t_s, double watts);
  double joules() const { return joules_; }
  int64_t samples() const { return n_; }

 private:
  double joules_ = 0, t_ = 0, w_ = 0;
  int64_t n_ = 0;
};

/// Energy in Wh of a power trace (trapezoid rule over the real sample times;
/// fewer than two samples: 0).
double trapezoid_wh(const std::vector<PowerSample>& trace);

/// The increase of a counter that wraps to 0 after `max_range` (RAPL's
/// energy_uj wraps at max_energy_range_uj): after < before means one wrap.
/// max_range 0 (unknown): a decrease counts as 0.
uint64_t counter_delta(uint64_t before, uint64_t after, uint64_t max_range);

/// Joules to watt-hours.
constexpr double joules_to_wh(double j) { return j / 3600.0; }

/// Grams of CO2-equivalent for `wh` at `g_per_kwh`.
constexpr double co2e_grams(double wh, double g_per_kwh) { return wh / 1000.0 * g_per_kwh; }

}  // namespace itwin::monitor
