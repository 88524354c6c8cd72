// Grouping and averaging runs into the report's numbers.
#include <algorithm>
#include <map>
#include <tuple>

#include "itwin/report/report.hpp"

namespace itwin::report {
namespace {

using json = nlohmann::json;

bool finite(double v) { return std::isfinite(v); }

double mean_of(const std::vector<double>& v) {
  double s = 0;
  int n = 0;
  for (double x : v)
    if (finite(x)) s += x, ++n;
  return n ? s / n : NAN;
}

Value value_of(const std::vector<double>& v) {
  Value out;
  std::vector<double> xs;
  for (double x : v)
    if (finite(x)) xs.push_back(x);
  out.n = static_cast<int>(xs.size());
  if (xs.empty()) return out;
  out.mean = mean_of(xs);
  if (xs.size() > 1) {
    double ss = 0;
    for (double x : xs) ss += (x - out.mean) * (x - out.mean);
    out.sd = std::sqrt(ss / static_cast<double>(xs.size() - 1));
  }
  return out;
}

double num(const json& j, const char* key) {
  if (!j.is_object()) return NAN;
  auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<double>() : NAN;
}

// What one run contributes.
struct RunStats {
  double epoch_time = NAN, throughput = NAN;
  double compute = NAN, exposed = NAN, data = NAN, other = NAN, hidden = NAN;
  double gpu_util = NAN, gpu_peak = NAN, cpu_util = NAN, energy = NAN, per_1k = NAN, co2e = NAN;
};

// Per-step parts in ms -> shares of the wall time per step (NaN wall: of their sum).
void breakdown(double data, double compute, double comm, double exposed, double wall, RunStats& s) {
  if (!finite(compute) || !finite(exposed)) return;
  if (!finite(data)) data = 0;
  double measured = data + compute + exposed;
  double total = finite(wall) && wall >= measured ? wall : measured;
  if (total <= 0) return;
  s.compute = 100 * compute / total;
  s.exposed = 100 * exposed / total;
  s.data = 100 * data / total;
  s.other = finite(wall) ? 100 * (total - measured) / total : NAN;  // unknown without a wall time
  if (finite(comm) && comm > 0) s.hidden = 100 * std::clamp((comm - exposed) / comm, 0.0, 1.0);
}

double part(const std::map<std::string, double>& ms, const char* key) {
  auto it = ms.find(key);
  return it == ms.end() ? NAN : it->second;
}

RunStats run_stats(const Run& r, const Options& o, std::vector<std::string>& notes) {
  RunStats s;
  std::vector<const Epoch*> used;
  for (const auto& e : r.epochs)
    if (o.keep_first_epoch || e.epoch != 1) used.push_back(&e);
  if (used.empty() && !r.epochs.empty()) {
    notes.push_back(r.id + ": one epoch only, so its first epoch is kept");
    for (const auto& e : r.epochs) used.push_back(&e);
  }
  std::vector<double> times, rates, data, compute, comm, exposed, wall;
  for (const Epoch* e : used) {
    times.push_back(e->time_s);
    rates.push_back(e->samples_per_s);
    double fwd = part(e->ms, "forward"), bwd = part(e->ms, "backward"),
           opt = part(e->ms, "optimizer");
    if (finite(fwd) && finite(bwd)) compute.push_back(fwd + bwd + (finite(opt) ? opt : 0));
    data.push_back(part(e->ms, "data"));
    comm.push_back(part(e->ms, "comm"));
    exposed.push_back(part(e->ms, "comm_exposed"));
    // Wall time per step: the epoch's time over its steps (steps from the step counter).
    const Epoch* prev = nullptr;
    for (const auto& p : r.epochs)
      if (p.epoch == e->epoch - 1) prev = &p;
    int64_t before = e->epoch == 1 ? 0 : (prev ? prev->step : -1);
    if (e->step > 0 && before >= 0 && e->step > before) {
      wall.push_back(e->time_s * 1000.0 / static_cast<double>(e->step - before));
    }
  }
  s.epoch_time = mean_of(times);
  s.throughput = mean_of(rates);
  if (r.epochs.empty() && finite(r.train_seconds) && r.epochs_done > 0) {
    s.epoch_time = r.train_seconds / static_cast<double>(r.epochs_done);
    s.throughput = r.samples_per_s;
    notes.push_back(
        r.id +
        ": no per-epoch records; epoch time is train_seconds / epochs (first epoch included)");
  }
  if (!compute.empty()) {
    breakdown(mean_of(data), mean_of(compute), mean_of(comm), mean_of(exposed),
              wall.size() == used.size() ? mean_of(wall) : NAN, s);
  } else if (!r.profile_ms.empty()) {
    const auto& p = r.profile_ms;
    double wall_ms = r.profile_steps > 0 && finite(r.train_seconds)
                         ? r.train_seconds * 1000.0 / static_cast<double>(r.profile_steps)
                         : NAN;
    breakdown(part(p, "data"), part(p, "forward") + part(p, "backward") + part(p, "optimizer"),
              part(p, "comm"), part(p, "comm_exposed"), wall_ms, s);
    if (finite(s.compute)) {
      notes.push_back(r.id + ": time breakdown from summary.json's profile (all epochs)");
    }
  }
  const json& m = r.monitor;
  s.gpu_util = num(m, "gpu_util_mean");
  s.gpu_peak = num(m, "gpu_util_peak");
  s.cpu_util = num(m, "cpu_util_mean");
  s.energy = num(m, "energy_wh");
  s.co2e = num(m, "co2e_g");
  // Energy covers the whole run, so it is shared over every sample trained.
  double samples = 0;
  for (const auto& e : r.epochs)
    if (finite(e.time_s) && finite(e.samples_per_s)) samples += e.time_s * e.samples_per_s;
  if (samples <= 0 && finite(r.samples_per_s) && finite(r.train_seconds)) {
    samples = r.samples_per_s * r.train_seconds;
  }
  if (finite(s.energy) && samples > 0) s.per_1k = s.energy / samples * 1000.0;
  return s;
}

}  // namespace

std::string Group::label() const {
  std::string shape = world_size % nodes == 0
                          ? std::to_string(nodes) + "x" + std::to_string(world_size / nodes)
                          : std::to_string(world_size) + "r/" + std::to_string(nodes) + "n";
  return series() + " " + shape;
}

Report build_report(const Loaded& loaded, const Options& options) {
  Report rep;
  rep.options = options;
  rep.skipped = loaded.skipped;
  rep.runs = static_cast<int64_t>(loaded.runs.size());
  using Key =
      std::tuple<std::string, std::string, int64_t, int64_t>;  // backend, strategy, world, nodes
  std::map<Key, std::vector<std::pair<const Run*, RunStats>>> by_key;
  for (const auto& r : loaded.runs) {
    for (const auto& n : r.notes) rep.notes.push_back(n);
    by_key[{r.backend, r.strategy, r.world_size, r.nodes}].push_back(
        {&r, run_stats(r, options, rep.notes)});
  }
  for (const auto& [key, members] : by_key) {
    Group g;
    std::tie(g.backend, g.strategy, g.world_size, g.nodes) = key;
    auto collect = [&](double RunStats::*field) {
      std::vector<double> v;
      for (const auto& m : members) v.push_back(m.second.*field);
      return value_of(v);
    };
    for (const auto& m : members) g.runs.push_back(m.first->id);
    g.epoch_time_s = collect(&RunStats::epoch_time);
    g.samples_per_s = collect(&RunStats::throughput);
    g.samples_per_s_per_rank =
        g.samples_per_s.mean / static_cast<double>(std::max<int64_t>(1, g.world_size));
    g.compute_pct = collect(&RunStats::compute);
    g.comm_exposed_pct = collect(&RunStats::exposed);
    g.data_pct = collect(&RunStats::data);
    g.other_pct = collect(&RunStats::other);
    g.comm_hidden_pct = collect(&RunStats::hidden);
    g.gpu_util_pct = collect(&RunStats::gpu_util);
    for (const auto& m : members) {
      double p = m.second.gpu_peak;
      if (finite(p) && !(p <= g.gpu_util_peak_pct)) g.gpu_util_peak_pct = p;  // max (NaN start)
    }
    g.cpu_util_pct = collect(&RunStats::cpu_util);
    g.energy_wh = collect(&RunStats::energy);
    g.wh_per_1k_samples = collect(&RunStats::per_1k);
    g.co2e_g = collect(&RunStats::co2e);
    rep.groups.push_back(g);
  }
  // Speedup and efficiency against the smallest world of the same backend and
  // strategy. One rank with the `local` backend (what `auto` picks for one
  // rank: no communication at all) is also a baseline for every backend of
  // its strategy, so that `--scaling 1,2` compares 2 gloo ranks with 1 rank.
  for (auto& g : rep.groups) {
    const Group* base = nullptr;
    for (const auto& b : rep.groups) {
      bool same = b.series() == g.series() || (b.backend == "local" && b.strategy == g.strategy);
      if (!same || !finite(b.epoch_time_s.mean)) continue;
      if (!base || std::tie(b.world_size, b.nodes) < std::tie(base->world_size, base->nodes))
        base = &b;
    }
    if (!base || !finite(g.epoch_time_s.mean) || g.epoch_time_s.mean <= 0) continue;
    g.baseline = base->label();
    g.baseline_world = base->world_size;
    g.baseline_epoch_time_s = base->epoch_time_s.mean;
    g.baseline_samples_per_s = base->samples_per_s.mean;
    g.speedup = base->epoch_time_s.mean / g.epoch_time_s.mean;
    g.efficiency_pct = 100.0 * g.speedup * static_cast<double>(base->world_size) /
                       static_cast<double>(g.world_size);
  }
  return rep;
}

}  // namespace itwin::report
