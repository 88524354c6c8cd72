// The CPU side: the real /proc of this machine, RAPL from a sysfs tree laid out as the kernel does.
#include "itwin/monitor/host.hpp"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "../helpers.hpp"

using namespace itwin::monitor;
using Catch::Matchers::Contains;
using itwin::test::TempDir;

TEST_CASE("host: CPU times, memory and this process from the real /proc", "[monitor]") {
  auto a = read_cpu_times();
  REQUIRE(a);
  CHECK(a->total > a->busy);
  // Spin until the kernel's tick counter moves, so there is an interval to measure.
  std::optional<CpuTimes> b;
  volatile double sink = 0;
  do {
    for (int i = 0; i < 100000; ++i) sink = sink + i;
    b = read_cpu_times();
  } while (b && (b->total <= a->total || b->busy <= a->busy));
  REQUIRE(b);
  double u = cpu_util_pct(*a, *b);
  CHECK(u >= 0);
  CHECK(u <= 100);
  CHECK(std::isnan(cpu_util_pct(*b, *a)));  // backwards: no reading

  auto m = read_meminfo();
  REQUIRE(m);
  CHECK(m->total_mib > 0);
  CHECK(m->used_mib > 0);
  CHECK(m->used_mib < m->total_mib);

  auto p = read_process(getpid());
  REQUIRE(p);
  CHECK(p->rss_mib > 1);
  CHECK(p->cpu_seconds > 0);
  CHECK_FALSE(read_process(0x7ffffff0));  // no such process
}

TEST_CASE("host: /proc/stat and /proc/meminfo parsing of given files", "[monitor]") {
  TempDir d;
  auto stat = read_cpu_times(
      d.write("stat", "cpu  100 5 50 800 20 3 2 10 0 0\ncpu0 1 2 3 4 5 6 7 8 0 0\n"));
  REQUIRE(stat);
  CHECK(stat->busy == 100 + 5 + 50 + 3 + 2 + 10);
  CHECK(stat->total == stat->busy + 800 + 20);
  CHECK(cpu_util_pct({100, 1000}, {175, 1100}) == Approx(75.0));
  CHECK_FALSE(read_cpu_times(d.write("bad", "intr 1 2 3\n")));
  auto mem = read_meminfo(
      d.write("meminfo", "MemTotal:  2048000 kB\nMemFree: 1 kB\nMemAvailable:  1024000 kB\n"));
  REQUIRE(mem);
  CHECK(mem->total_mib == Approx(2000.0));
  CHECK(mem->used_mib == Approx(1000.0));
}

namespace {

// A powercap tree as the intel_rapl driver lays it out.
void zone(const TempDir& d, const std::string& dir, const std::string& name,
          const std::string& energy, const std::string& range) {
  d.write("powercap/" + dir + "/name", name + "\n");
  d.write("powercap/" + dir + "/energy_uj", energy + "\n");
  d.write("powercap/" + dir + "/max_energy_range_uj", range + "\n");
}

}  // namespace

TEST_CASE("host: RAPL sums package counters, sub-zones left out, wraps included", "[monitor]") {
  TempDir d;
  zone(d, "intel-rapl:0", "package-0", "1000000", "262143328850");
  zone(d, "intel-rapl:0:0", "core", "5", "262143328850");  // part of package 0: not added again
  zone(d, "intel-rapl:1", "package-1", "262143000000", "262143328850");
  zone(d, "intel-rapl-mmio:0", "package-0", "7", "100");  // another driver's view of package 0
  zone(d, "intel-rapl:2", "psys", "0", "100");            // the platform: not a CPU package
  Rapl rapl(d.path() + "/powercap");
  REQUIRE(rapl.ok());
  CHECK(rapl.zone_names() == std::vector<std::string>{"package-0", "package-1"});
  rapl.sample();
  CHECK(rapl.joules() == 0.0);                              // the first sample is the baseline
  d.write("powercap/intel-rapl:0/energy_uj", "3500000\n");  // +2.5 J
  d.write("powercap/intel-rapl:1/energy_uj", "671150\n");   // wrapped: +328850 + 671150 uJ = +1 J
  d.write("powercap/intel-rapl:0:0/energy_uj", "999999999\n");
  rapl.sample();
  CHECK(rapl.joules() == Approx(3.5));
}

TEST_CASE("host: RAPL says why it cannot measure", "[monitor]") {
  TempDir d;
  Rapl none(d.path() + "/absent");
  CHECK_FALSE(none.ok());
  CHECK_THAT(none.why(), Contains("no powercap driver"));
  std::filesystem::create_directories(d.path() + "/empty");
  CHECK_THAT(Rapl(d.path() + "/empty").why(), Contains("no package zone"));
  // energy_uj that cannot be read as a number, as for a non-root user (root reads anything, so the
  // test stands in with a file the parser rejects).
  zone(d, "intel-rapl:0", "package-0", "permission denied", "100");
  Rapl locked(d.path() + "/powercap");
  CHECK_FALSE(locked.ok());
  CHECK_THAT(locked.why(), Contains("energy_uj is not readable"));
  // The machine's own tree, whatever it holds: never an exception.
  Rapl real;
  real.sample();
  CHECK(real.joules() >= 0);
  CHECK((real.ok() || !real.why().empty()));
}
