// The monitor's results as JSON (summary.json's "monitor") and as flat metrics.
#include <algorithm>
#include <cmath>

#include "itwin/monitor/monitor.hpp"

namespace itwin::monitor {
namespace {

using json = nlohmann::json;

// Unmeasured values are null, never NaN (which JSON cannot hold).
json num(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }

double get(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<double>() : NAN;
}

// Sum and max that ignore NaN, and a mean of the finite values.
struct Acc {
  double sum = 0, peak = NAN;
  int64_t n = 0;
  void add(double v) {
    if (!std::isfinite(v)) return;
    sum += v;
    peak = n == 0 ? v : std::max(peak, v);
    ++n;
  }
  double mean() const { return n ? sum / static_cast<double>(n) : NAN; }
  double total() const { return n ? sum : NAN; }
};

}  // namespace

json to_json(const NodeResult& r) {
  json gpus = json::array();
  for (const auto& g : r.gpus) {
    gpus.push_back({{"vendor", g.device.vendor},
                    {"index", g.device.index},
                    {"name", g.device.name},
                    {"uuid", g.device.uuid},
                    {"energy_wh", num(g.energy_wh)},
                    {"energy_method", g.energy_method},
                    {"util_mean", num(g.util_pct.mean)},
                    {"util_peak", num(g.util_pct.peak)},
                    {"mem_peak_mib", num(g.mem_used_mib.peak)},
                    {"mem_total_mib", num(g.mem_total_mib)},
                    {"power_mean_w", num(g.power_w.mean)},
                    {"power_peak_w", num(g.power_w.peak)}});
  }
  json ranks = json::array();
  for (const auto& k : r.ranks) {
    ranks.push_back({{"rank", k.process.rank},
                     {"pid", k.process.pid},
                     {"rss_mean_mib", num(k.rss_mib.mean)},
                     {"rss_peak_mib", num(k.rss_mib.peak)},
                     {"cpu_mean_pct", num(k.cpu_pct.mean)}});
  }
  return {{"host", r.host},
          {"interval_s", r.interval_s},
          {"samples", r.samples},
          {"duration_s", r.duration_s},
          {"energy_wh", num(r.energy_wh())},
          {"gpus", gpus},
          {"cpu",
           {{"cores", r.cpu.cores},
            {"util_mean", num(r.cpu.util_pct.mean)},
            {"util_peak", num(r.cpu.util_pct.peak)},
            {"mem_peak_mib", num(r.cpu.mem_used_mib.peak)},
            {"mem_total_mib", num(r.cpu.mem_total_mib)},
            {"energy_wh", num(r.cpu.energy_wh)},
            {"energy_method", std::isfinite(r.cpu.energy_wh) ? "rapl" : "none"},
            {"rapl_zones", r.cpu.rapl_zones}}},
          {"ranks", ranks},
          {"notes", r.notes}};
}

json summary_json(const std::vector<json>& nodes, double carbon_intensity) {
  Acc gpu_energy, cpu_energy, gpu_util, gpu_peak, cpu_util, cpu_peak, gpu_mem, rss, interval;
  int64_t samples = 0, devices = 0;
  for (const auto& n : nodes) {
    samples += n.value("samples", int64_t{0});
    interval.add(get(n, "interval_s"));
    for (const auto& g : n.value("gpus", json::array())) {
      ++devices;
      gpu_energy.add(get(g, "energy_wh"));
      gpu_util.add(get(g, "util_mean"));
      gpu_peak.add(get(g, "util_peak"));
      gpu_mem.add(get(g, "mem_peak_mib"));
    }
    json cpu = n.value("cpu", json::object());
    cpu_energy.add(get(cpu, "energy_wh"));
    cpu_util.add(get(cpu, "util_mean"));
    cpu_peak.add(get(cpu, "util_peak"));
    for (const auto& k : n.value("ranks", json::array())) rss.add(get(k, "rss_peak_mib"));
  }
  Acc total;
  total.add(gpu_energy.total());
  total.add(cpu_energy.total());
  double wh = total.total();
  return {{"interval_s", num(interval.mean())},
          {"samples", samples},
          {"carbon_intensity_g_per_kwh", carbon_intensity},
          {"energy_wh", num(wh)},
          {"gpu_energy_wh", num(gpu_energy.total())},
          {"cpu_energy_wh", num(cpu_energy.total())},
          {"co2e_g", num(std::isfinite(wh) ? co2e_grams(wh, carbon_intensity) : NAN)},
          {"gpus", devices},
          {"gpu_util_mean", num(gpu_util.mean())},
          {"gpu_util_peak", num(gpu_peak.peak)},
          {"gpu_mem_peak_mib", num(gpu_mem.peak)},
          {"cpu_util_mean", num(cpu_util.mean())},
          {"cpu_util_peak", num(cpu_peak.peak)},
          {"rss_peak_mib", num(rss.peak)},
          {"nodes", nodes}};
}

std::map<std::string, double> summary_metrics(const json& m) {
  std::map<std::string, double> out;
  for (const char* k : {"energy_wh", "gpu_energy_wh", "cpu_energy_wh", "co2e_g", "gpu_util_mean",
                        "gpu_util_peak", "cpu_util_mean", "gpu_mem_peak_mib", "rss_peak_mib"}) {
    double v = get(m, k);
    if (std::isfinite(v)) out[k] = v;
  }
  int k = 0;
  for (const auto& n : m.value("nodes", json::array())) {
    for (const auto& g : n.value("gpus", json::array())) {
      std::string p = "gpu" + std::to_string(k++);
      double e = get(g, "energy_wh"), u = get(g, "util_mean");
      if (std::isfinite(e)) out[p + "_energy_wh"] = e;
      if (std::isfinite(u)) out[p + "_util_mean"] = u;
    }
  }
  return out;
}

}  // namespace itwin::monitor
