// The sampler thread and what it sums up.
#include "itwin/monitor/monitor.hpp"

#include <unistd.h>

#include <chrono>

#include "itwin/util/sysinfo.hpp"

namespace itwin::monitor {
namespace {

double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace

struct Monitor::Gpu {
  GpuLibrary* lib = nullptr;
  size_t index = 0;  // into lib->devices()
  GpuResult result;
  TrapezoidIntegrator power;
  double counter_first = NAN, counter_last = NAN;
  int64_t counter_n = 0;
  bool counter_ok = true;  // false once the counter went backwards (driver reloaded)
};

struct Monitor::Rank {
  RankResult result;
  double last_t = NAN, last_cpu = NAN;
};

MonitorOptions options_for(const config::MonitorSpec& spec) {
  MonitorOptions o;
  o.interval_s = spec.interval;
  o.carbon_intensity = spec.carbon_intensity;
  return o;
}

void Stat::add(double v) {
  if (std::isnan(v)) return;
  ++n;
  mean = n == 1 ? v : mean + (v - mean) / static_cast<double>(n);
  peak = n == 1 ? v : std::max(peak, v);
}

double NodeResult::energy_wh() const {
  double sum = 0;
  for (const auto& g : gpus)
    if (!std::isnan(g.energy_wh)) sum += g.energy_wh;
  if (!std::isnan(cpu.energy_wh)) sum += cpu.energy_wh;
  return sum;
}

Monitor::Monitor(MonitorOptions opts) : opts_(std::move(opts)), rapl_(opts_.powercap_root) {
  // NVIDIA first, then AMD: a node has one kind; both are tried so that
  // neither library's absence hides the other.
  std::string nvml_why, rocm_why;
  auto sel = [&](const char* vendor) {
    return opts_.gpus ? GpuSelection(*opts_.gpus) : selection_from_env(vendor);
  };
  if (auto l = open_nvml(opts_.nvml_library, sel("nvidia"), &nvml_why))
    libs_.push_back(std::move(l));
  if (auto l = open_rocm_smi(opts_.rocm_smi_library, sel("amd"), &rocm_why)) {
    libs_.push_back(std::move(l));
  }
  if (libs_.empty()) {  // say why only when no GPU at all: an NVIDIA node lacks ROCm SMI by design
    notes_.push_back("no GPU monitored on this node: " + nvml_why + "; " + rocm_why);
  }
  for (const auto& lib : libs_) {
    for (size_t i = 0; i < lib->devices().size(); ++i) {
      Gpu g;
      g.lib = lib.get();
      g.index = i;
      g.result.device = lib->devices()[i];
      gpus_.push_back(std::move(g));
    }
  }
  if (!rapl_.ok()) notes_.push_back(rapl_.why());
  cpu_.cores = cores_available();
  cpu_.rapl_zones = rapl_.zone_names();
  if (opts_.ranks.empty()) opts_.ranks.push_back({0, static_cast<int>(getpid())});
  set_ranks(opts_.ranks);
  t0_ = now_s();
}

Monitor::~Monitor() {
  {
    std::lock_guard<std::mutex> lk(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Monitor::set_ranks(std::vector<RankProcess> ranks) {
  std::lock_guard<std::mutex> lk(mu_);
  std::vector<Rank> next;
  for (const auto& p : ranks) {
    Rank r;
    r.result.process = p;
    for (const auto& old : ranks_)  // keep what a process already has
      if (old.result.process.pid == p.pid) r = old;
    r.result.process = p;
    next.push_back(r);
  }
  ranks_ = std::move(next);
}

int64_t Monitor::samples() {
  std::lock_guard<std::mutex> lk(mu_);
  return samples_;
}

void Monitor::sample_now() {
  std::lock_guard<std::mutex> lk(mu_);
  sample_locked();
}

void Monitor::sample_locked() {
  double t = now_s() - t0_;
  for (auto& g : gpus_) {
    GpuReading r = g.lib->read(g.index);
    g.result.util_pct.add(r.util_pct);
    g.result.mem_used_mib.add(r.mem_used_mib);
    g.result.power_w.add(r.power_w);
    if (!std::isnan(r.mem_total_mib)) g.result.mem_total_mib = r.mem_total_mib;
    if (!std::isnan(r.power_w)) g.power.add(t, r.power_w);
    if (!std::isnan(r.energy_j)) {
      if (!std::isnan(g.counter_last) && r.energy_j < g.counter_last) g.counter_ok = false;
      if (std::isnan(g.counter_first)) g.counter_first = r.energy_j;
      g.counter_last = r.energy_j;
      ++g.counter_n;
    }
  }
  if (auto c = read_cpu_times()) {
    if (last_cpu_) cpu_.util_pct.add(cpu_util_pct(*last_cpu_, *c));
    last_cpu_ = c;
  }
  if (auto m = read_meminfo()) {
    cpu_.mem_used_mib.add(m->used_mib);
    cpu_.mem_total_mib = m->total_mib;
  }
  rapl_.sample();
  for (auto& r : ranks_) {
    auto p = read_process(r.result.process.pid);
    if (!p) continue;  // not started yet, or gone
    r.result.rss_mib.add(p->rss_mib);
    if (!std::isnan(r.last_t) && t > r.last_t) {
      r.result.cpu_pct.add(100.0 * (p->cpu_seconds - r.last_cpu) / (t - r.last_t));
    }
    r.last_t = t;
    r.last_cpu = p->cpu_seconds;
  }
  if (samples_ == 0) first_ = t;
  last_ = t;
  ++samples_;
}

void Monitor::loop() {
  using clock = std::chrono::steady_clock;
  auto period =
      std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(opts_.interval_s));
  std::unique_lock<std::mutex> lk(mu_);
  auto next = clock::now();
  while (!stop_) {
    try {
      sample_locked();
    } catch (const std::exception& e) {  // a sampler must never take the run down
      notes_.push_back(std::string("sample failed: ") + e.what());
    }
    next += period;
    if (next < clock::now())
      next = clock::now() + period;  // fell behind: keep the period, skip the backlog
    cv_.wait_until(lk, next, [&] { return stop_; });
  }
}

void Monitor::start() {
  std::lock_guard<std::mutex> lk(mu_);
  if (thread_.joinable()) return;
  stop_ = false;
  thread_ = std::thread([this] { loop(); });
}

NodeResult Monitor::stop() {
  {
    std::lock_guard<std::mutex> lk(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  std::lock_guard<std::mutex> lk(mu_);
  sample_locked();
  NodeResult out;
  out.host = host_name();
  out.interval_s = opts_.interval_s;
  out.samples = samples_;
  out.duration_s = samples_ > 1 ? last_ - first_ : 0;
  out.carbon_intensity = opts_.carbon_intensity;
  for (auto& g : gpus_) {
    GpuResult r = g.result;
    if (g.counter_ok && g.counter_n > 1) {
      r.energy_wh = joules_to_wh(g.counter_last - g.counter_first);
      r.energy_method = "counter";
    } else if (g.power.samples() > 1) {
      r.energy_wh = joules_to_wh(g.power.joules());
      r.energy_method = "power";
    }
    out.gpus.push_back(r);
  }
  out.cpu = cpu_;
  if (rapl_.ok()) out.cpu.energy_wh = joules_to_wh(rapl_.joules());
  for (const auto& r : ranks_) out.ranks.push_back(r.result);
  out.notes = notes_;
  return out;
}

}  // namespace itwin::monitor
