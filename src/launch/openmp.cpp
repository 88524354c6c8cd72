// OMP_WAIT_POLICY chosen from what the node is doing when a run starts.
#include "itwin/launch/openmp.hpp"

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>

#include "itwin/util/sysinfo.hpp"

namespace itwin::launch {
namespace {

// procs_running of /proc/stat: runnable threads on the whole machine, this
// reader included (-1 when unreadable).
int procs_running() {
  std::ifstream in("/proc/stat");
  std::string key;
  long long v = 0;
  while (in >> key) {
    if (key == "procs_running") return in >> v ? static_cast<int>(v) : -1;
    in.ignore(1 << 20, '\n');
  }
  return -1;
}

}  // namespace

double runnable_elsewhere(int samples, int interval_ms) {
  double sum = 0;
  int n = 0;
  for (int i = 0; i < samples; ++i) {
    if (i > 0) std::this_thread::sleep_for(std::chrono::milliseconds(interval_ms));
    const int r = procs_running();
    if (r < 0) return 0;
    sum += r > 0 ? r - 1 : 0;
    ++n;
  }
  return n > 0 ? sum / n : 0;
}

std::string wait_policy(int threads, int processes, int cores, double others) {
  if (threads <= 1) return "PASSIVE";
  // A quarter of a thread: a short-lived process seen in one sample of five.
  return others + threads * processes <= cores + 0.25 ? "ACTIVE" : "PASSIVE";
}

std::string choose_wait_policy(int threads) {
  if (const char* user = std::getenv("OMP_WAIT_POLICY")) return user;
  const std::string p =
      wait_policy(threads, 1, cores_available(), threads > 1 ? runnable_elsewhere() : 0.0);
  setenv("OMP_WAIT_POLICY", p.c_str(), 1);
  return p;
}

}  // namespace itwin::launch
