#include "itwin/util/sysinfo.hpp"

#include <dlfcn.h>
#include <pwd.h>
#include <sched.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

namespace itwin {

int cores_available() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0) {
    int n = CPU_COUNT(&set);
    if (n > 0) return n;
  }
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? static_cast<int>(n) : 1;
}

std::string blas_library() {
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (std::getline(maps, line)) {
    auto slash = line.find('/');
    if (slash == std::string::npos) continue;
    std::string path = line.substr(slash);
    auto base = path.substr(path.rfind('/') + 1);
    if (base.find("blas") != std::string::npos || base.find("mkl_rt") != std::string::npos)
      return path;
  }
  return "";
}

std::string blas_kind(const std::string& path) {
  if (path.empty()) return "none loaded";
  if (path.find("openblas") != std::string::npos) return "OpenBLAS";
  if (path.find("mkl") != std::string::npos) return "MKL";
  if (path.find("blis") != std::string::npos) return "BLIS";
  if (path.find("atlas") != std::string::npos) return "ATLAS";
  if (path.find("/blas/") != std::string::npos)
    return "reference BLAS (slow: install libopenblas0-pthread)";
  return "unknown";
}

CpuSnapshot cpu_snapshot() {
  CpuSnapshot c;
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) != 0) return c;
  const double hz = static_cast<double>(sysconf(_SC_CLK_TCK));
  std::ifstream stat("/proc/stat");
  std::string line;
  while (std::getline(stat, line)) {
    if (line.rfind("cpu", 0) != 0 || line.size() < 4 ||
        !std::isdigit(static_cast<unsigned char>(line[3])))
      continue;
    std::istringstream in(line.substr(3));
    int cpu = 0;
    double user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0;
    in >> cpu >> user >> nice >> system >> idle >> iowait >> irq >> softirq >> steal;
    if (cpu < CPU_SETSIZE && CPU_ISSET(cpu, &set))
      c.busy_s += (user + nice + system + irq + softirq + steal) / hz;
  }
  std::ifstream self("/proc/self/stat");
  std::string text((std::istreambuf_iterator<char>(self)), {});
  auto close = text.rfind(')');  // the command name may hold spaces
  if (close == std::string::npos) return c;
  std::istringstream in(text.substr(close + 2));
  std::string field;
  double utime = 0, stime = 0;
  for (int k = 3; k <= 15 && in >> field; ++k) {
    if (k == 14) utime = std::atof(field.c_str());
    if (k == 15) stime = std::atof(field.c_str());
  }
  c.self_s = (utime + stime) / hz;
  c.wall_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
  c.valid = true;
  return c;
}

double cores_busy_elsewhere(const CpuSnapshot& a, const CpuSnapshot& b) {
  const double wall = b.wall_s - a.wall_s;
  if (!a.valid || !b.valid || wall < 0.1) return 0;  // the kernel counts in 10 ms ticks
  return std::max(0.0, ((b.busy_s - a.busy_s) - (b.self_s - a.self_s)) / wall);
}

uint64_t available_memory_bytes() {
  std::ifstream in("/proc/meminfo");
  std::string key, unit;
  uint64_t kb = 0;
  while (in >> key >> kb >> unit) {
    if (key == "MemAvailable:") return kb * 1024;
  }
  return 0;
}

std::string host_name() {
  char buf[256] = {0};
  if (gethostname(buf, sizeof buf - 1) != 0) return "unknown";
  return buf;
}

std::string user_name() {
  // The account, not $USER: batch jobs and containers often run without it.
  if (const passwd* pw = ::getpwuid(::geteuid()); pw && pw->pw_name && *pw->pw_name)
    return pw->pw_name;
  for (const char* var : {"LOGNAME", "USER"}) {
    const char* v = std::getenv(var);
    if (v && *v) return v;
  }
  return "unknown";
}

}  // namespace itwin

namespace itwin {

bool set_blas_threads(int n) {
  using SetThreads = void (*)(int);
  for (const char* sym :
       {"openblas_set_num_threads", "bli_thread_set_num_threads", "MKL_Set_Num_Threads"}) {
    if (auto f = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, sym))) {
      f(n);
      return true;
    }
  }
  return false;
}

int64_t unix_millis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace itwin
