#pragma once
/// The CPU side of the monitor, read from the kernel: CPU time and memory
/// from /proc, CPU package energy from RAPL counters in sysfs
/// (/sys/class/powercap/intel-rapl:N/energy_uj, which AMD CPUs use too).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace itwin::monitor {

/// Jiffies of all CPUs since boot (first line of /proc/stat).
struct CpuTimes {
  uint64_t busy = 0;   ///< user + nice + system + irq + softirq + steal
  uint64_t total = 0;  ///< busy + idle + iowait
};
std::optional<CpuTimes> read_cpu_times(const std::string& path = "/proc/stat");

/// Busy share of all CPUs between two readings, 0..100 (NaN when no time passed).
double cpu_util_pct(const CpuTimes& before, const CpuTimes& after);

/// Node memory from /proc/meminfo (MemTotal, MemAvailable).
struct MemInfo {
  double total_mib = 0;
  double used_mib = 0;  ///< total - available
};
std::optional<MemInfo> read_meminfo(const std::string& path = "/proc/meminfo");

/// One process: resident memory (VmRSS) and CPU seconds used so far (utime + stime).
struct ProcessSample {
  double rss_mib = 0;
  double cpu_seconds = 0;
};
/// Nothing when the process is gone or unreadable.
std::optional<ProcessSample> read_process(int pid);

/// CPU package energy from RAPL. Each sample adds every package counter's
/// increase since the previous sample, a wrap at max_energy_range_uj included;
/// the total is right as long as a counter wraps at most once per interval
/// (a typical range of 262,143 J lasts over 20 minutes for a 200 W package).
class Rapl {
 public:
  /// Finds the package zones (intel-rapl:N, not their sub-zones) under `root`.
  explicit Rapl(const std::string& root = "/sys/class/powercap");
  /// True when at least one package counter is readable.
  bool ok() const { return !zones_.empty(); }
  /// Why not ok(): no powercap tree, no package zone, or counters unreadable
  /// (most kernels let only root read energy_uj).
  const std::string& why() const { return why_; }
  /// "package-0", ... (the zones' names).
  std::vector<std::string> zone_names() const;
  /// Reads every counter and accumulates; the first call sets the baseline.
  void sample();
  double joules() const { return joules_; }

 private:
  struct Zone {
    std::string dir, name;
    uint64_t max_range = 0, last = 0;
    bool started = false;
  };
  std::vector<Zone> zones_;
  std::string why_;
  double joules_ = 0;
};

}  // namespace itwin::monitor
