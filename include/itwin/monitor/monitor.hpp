#pragma once
/// The hardware monitor: one sampler thread per node (not per rank) that
/// reads the node's GPUs (NVML or ROCm SMI), CPU time, memory of each local
/// rank and CPU package energy (RAPL) every `interval_s`, and sums them up
/// when stopped. The trainer starts it on one process per node at run start
/// and stops it at the end; docs/report.md documents the JSON it produces.

#include <cmath>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "itwin/config/monitor_spec.hpp"
#include "itwin/monitor/energy.hpp"
#include "itwin/monitor/gpu.hpp"
#include "itwin/monitor/host.hpp"

namespace itwin::monitor {

/// A rank of this node and its process.
struct RankProcess {
  int rank = 0;
  int pid = 0;
};

struct MonitorOptions {
  double interval_s = 1.0;
  double carbon_intensity = config::kDefaultCarbonIntensity;  ///< g CO2e per kWh
  std::string nvml_library;      ///< "" = $ITWIN_NVML_LIBRARY, else libnvidia-ml.so.1
  std::string rocm_smi_library;  ///< "" = $ITWIN_ROCM_SMI_LIBRARY, else librocm_smi64.so
  std::string powercap_root = "/sys/class/powercap";
  /// Device indices or UUIDs to watch; unset: selection_from_env() per vendor.
  std::optional<std::vector<std::string>> gpus;
  /// This node's ranks (memory and CPU per rank); empty: this process, as rank 0.
  std::vector<RankProcess> ranks;
};

/// The options a run's `monitor:` section asks for (the caller adds ranks).
MonitorOptions options_for(const config::MonitorSpec& spec);

/// Mean and peak of a series of readings (NaN readings are left out).
struct Stat {
  double mean = NAN, peak = NAN;
  int64_t n = 0;
  void add(double v);
};

struct GpuResult {
  GpuDevice device;
  double energy_wh = NAN;
  std::string energy_method = "none";  ///< counter (the device's own) | power (trapezoid) | none
  Stat util_pct, mem_used_mib, power_w;
  double mem_total_mib = NAN;
};

struct CpuResult {
  int cores = 0;
  Stat util_pct;      ///< all CPUs of the node
  Stat mem_used_mib;  ///< the node's memory in use
  double mem_total_mib = NAN;
  double energy_wh = NAN;  ///< CPU packages (RAPL); NaN when not readable
  std::vector<std::string> rapl_zones;
};

struct RankResult {
  RankProcess process;
  Stat rss_mib;
  Stat cpu_pct;  ///< of one core: 200 = two cores busy
};

/// What one node's monitor saw.
struct NodeResult {
  std::string host;
  double interval_s = 0;
  int64_t samples = 0;
  double duration_s = 0;  ///< first to last sample
  double carbon_intensity = config::kDefaultCarbonIntensity;
  std::vector<GpuResult> gpus;
  CpuResult cpu;
  std::vector<RankResult> ranks;
  std::vector<std::string> notes;  ///< what was not measured, and why

  /// GPUs plus CPU packages, where measured.
  double energy_wh() const;
};

class Monitor {
 public:
  /// Opens the GPU libraries and RAPL; starts nothing yet.
  explicit Monitor(MonitorOptions opts);
  ~Monitor();
  Monitor(const Monitor&) = delete;
  Monitor& operator=(const Monitor&) = delete;

  /// Starts the sampler thread: a sample now, then one every interval.
  void start();
  /// Stops the thread, takes a last sample and sums up. Callable without start().
  NodeResult stop();
  /// Takes one sample now (thread-safe); tests drive the monitor with it.
  void sample_now();
  /// Samples taken so far (thread-safe).
  int64_t samples();
  /// Replaces the processes watched (e.g. once the node's ranks are known).
  void set_ranks(std::vector<RankProcess> ranks);

 private:
  struct Gpu;
  struct Rank;
  void sample_locked();
  void loop();

  MonitorOptions opts_;
  std::vector<std::unique_ptr<GpuLibrary>> libs_;
  std::vector<Gpu> gpus_;
  std::vector<Rank> ranks_;
  Rapl rapl_;
  std::optional<CpuTimes> last_cpu_;
  CpuResult cpu_;
  std::vector<std::string> notes_;
  double t0_ = 0, first_ = NAN, last_ = NAN;
  int64_t samples_ = 0;

  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

/// One node's result as JSON (an entry of summary.json's monitor.nodes).
nlohmann::json to_json(const NodeResult& r);

/// summary.json's "monitor" object from every node's to_json(): totals over the
/// nodes (energy, CO2e at `carbon_intensity`, utilisation) and the nodes themselves.
nlohmann::json summary_json(const std::vector<nlohmann::json>& nodes, double carbon_intensity);

/// The headline numbers of a summary_json() as flat metrics for the loggers:
/// energy_wh, gpu_energy_wh, cpu_energy_wh, co2e_g, gpu_util_mean, gpu_util_peak,
/// cpu_util_mean, gpu_mem_peak_mib, rss_peak_mib, and gpu<k>_energy_wh, gpu<k>_util_mean
/// per device k (nodes in order). Unmeasured values are left out.
std::map<std::string, double> summary_metrics(const nlohmann::json& monitor);

}  // namespace itwin::monitor
