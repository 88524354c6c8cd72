// Energy arithmetic: trapezoid rule over real (uneven) sample times, counter wraps, CO2e.
#include "itwin/monitor/energy.hpp"

#include <catch2/catch.hpp>

using namespace itwin::monitor;

TEST_CASE("energy: the trapezoid rule follows the real, uneven sample times", "[monitor]") {
  // Worked by hand: 0.5 s at 100->200 W (75 J), 1.5 s at 200 W (300 J),
  // 0.1 s at 200->50 W (12.5 J), 2.9 s at 50 W (145 J): 532.5 J.
  std::vector<PowerSample> trace = {{0.0, 100}, {0.5, 200}, {2.0, 200}, {2.1, 50}, {5.0, 50}};
  CHECK(trapezoid_wh(trace) == Approx(532.5 / 3600.0));
  // A rectangle rule that assumes 1 s spacing (itwinai's) would say 600 J.
  CHECK(trapezoid_wh(trace) * 3600.0 != Approx(600.0));
}

TEST_CASE("energy: a linear power ramp is integrated exactly at any spacing", "[monitor]") {
  std::vector<PowerSample> trace;
  for (double t : {0.0, 0.13, 0.9, 1.0, 2.7, 3.0}) trace.push_back({t, 10 + 4 * t});
  CHECK(trapezoid_wh(trace) * 3600.0 == Approx(48.0));  // integral of 10 + 4t over [0, 3]
}

TEST_CASE("energy: fewer than two samples, repeated or out-of-order times add nothing",
          "[monitor]") {
  CHECK(trapezoid_wh({}) == 0.0);
  CHECK(trapezoid_wh({{1.0, 300}}) == 0.0);
  TrapezoidIntegrator integ;
  integ.add(0, 100);
  integ.add(1, 100);
  integ.add(1, 5000);    // same time: ignored
  integ.add(0.5, 5000);  // earlier: ignored
  integ.add(2, 100);
  CHECK(integ.joules() == Approx(200.0));
  CHECK(integ.samples() == 3);
}

TEST_CASE("energy: counters that wrap at their range", "[monitor]") {
  CHECK(counter_delta(100, 900, 1000) == 800);
  CHECK(counter_delta(900, 100, 1000) == 200);  // wrapped once
  CHECK(counter_delta(900, 100, 0) == 0);       // range unknown: a decrease is not trusted
  CHECK(counter_delta(2000, 100, 1000) == 0);   // a value above the range: not trusted either
}

TEST_CASE("energy: CO2e from Wh and grams per kWh", "[monitor]") {
  CHECK(co2e_grams(2000.0, 475.0) == Approx(950.0));
  CHECK(co2e_grams(0.5, 0.0) == 0.0);
  CHECK(joules_to_wh(7200.0) == Approx(2.0));
}
