#include "itwin/monitor/host.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "itwin/monitor/energy.hpp"

namespace fs = std::filesystem;

namespace itwin::monitor {
namespace {

std::optional<uint64_t> read_u64(const std::string& path) {
  std::ifstream in(path);
  uint64_t v = 0;
  if (!(in >> v)) return std::nullopt;
  return v;
}

}  // namespace

std::optional<CpuTimes> read_cpu_times(const std::string& path) {
  std::ifstream in(path);
  std::string cpu;
  uint64_t v[8] = {0};  // user nice system idle iowait irq softirq steal
  if (!(in >> cpu) || cpu != "cpu") return std::nullopt;
  for (auto& x : v)
    if (!(in >> x)) return std::nullopt;
  CpuTimes t;
  t.busy = v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
  t.total = t.busy + v[3] + v[4];
  return t;
}

double cpu_util_pct(const CpuTimes& before, const CpuTimes& after) {
  if (after.total <= before.total || after.busy < before.busy) return NAN;
  return 100.0 * static_cast<double>(after.busy - before.busy) /
         static_cast<double>(after.total - before.total);
}

std::optional<MemInfo> read_meminfo(const std::string& path) {
  std::ifstream in(path);
  std::string key, unit;
  double kb = 0, total = -1, avail = -1;
  while (in >> key >> kb) {
    std::getline(in, unit);
    if (key == "MemTotal:") total = kb;
    if (key == "MemAvailable:") avail = kb;
  }
  if (total < 0 || avail < 0) return std::nullopt;
  return MemInfo{total / 1024.0, (total - avail) / 1024.0};
}

std::optional<ProcessSample> read_process(int pid) {
  std::string base = "/proc/" + std::to_string(pid);
  ProcessSample s;
  std::ifstream status(base + "/status");
  std::string line;
  bool rss = false;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) {
      s.rss_mib = std::atof(line.c_str() + 6) / 1024.0;  // "VmRSS:   123456 kB"
      rss = true;
    }
  }
  std::ifstream stat(base + "/stat");
  std::string all((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  auto close = all.rfind(')');  // the command name may hold spaces and parentheses
  if (!rss || close == std::string::npos) return std::nullopt;
  std::istringstream rest(all.substr(close + 2));
  std::string field;
  uint64_t utime = 0, stime = 0;
  // After the name: state(3) ppid(4) ... utime(14) stime(15), 1-based over the whole line.
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i == 14) utime = std::stoull(field);
    if (i == 15) stime = std::stoull(field);
  }
  s.cpu_seconds = static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
  return s;
}

Rapl::Rapl(const std::string& root) {
  std::error_code ec;
  if (!fs::is_directory(root, ec)) {
    why_ = "RAPL: no " + root + " (no powercap driver on this node)";
    return;
  }
  std::vector<Zone> found;
  for (const auto& e : fs::directory_iterator(root, ec)) {
    std::string n = e.path().filename().string();
    // Package zones are intel-rapl:N; intel-rapl:N:M are their core/uncore/dram parts.
    if (!std::regex_match(n, std::regex("intel-rapl:[0-9]+"))) continue;
    Zone z;
    z.dir = e.path().string();
    std::ifstream name(z.dir + "/name");
    std::getline(name, z.name);
    if (z.name.rfind("package", 0) != 0) continue;
    z.max_range = read_u64(z.dir + "/max_energy_range_uj").value_or(0);
    found.push_back(z);
  }
  std::sort(found.begin(), found.end(), [](const Zone& a, const Zone& b) { return a.dir < b.dir; });
  if (found.empty()) {
    why_ = "RAPL: no package zone under " + root;
    return;
  }
  for (auto& z : found) {
    if (read_u64(z.dir + "/energy_uj")) zones_.push_back(z);
  }
  if (zones_.empty()) {
    why_ = "RAPL: " + found.front().dir + "/energy_uj is not readable (root only on this kernel)";
  }
}

std::vector<std::string> Rapl::zone_names() const {
  std::vector<std::string> v;
  for (const auto& z : zones_) v.push_back(z.name);
  return v;
}

void Rapl::sample() {
  for (auto& z : zones_) {
    auto v = read_u64(z.dir + "/energy_uj");
    if (!v) continue;
    if (z.started) joules_ += static_cast<double>(counter_delta(z.last, *v, z.max_range)) / 1e6;
    z.last = *v;
    z.started = true;
  }
}

}  // namespace itwin::monitor
