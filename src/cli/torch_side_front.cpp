// The front (`itwin`): work that needs LibTorch runs in `itwin-worker`,
// started with the OpenMP environment it needs before its runtime starts.
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "itwin/config/specs.hpp"
#include "itwin/launch/openmp.hpp"
#include "itwin/launch/world.hpp"
#include "itwin/train/run.hpp"
#include "itwin/util/error.hpp"
#include "itwin/util/process.hpp"
#include "itwin/util/sysinfo.hpp"
#include "torch_side.hpp"

namespace itwin::cli {
namespace {

// The intra-op threads the worker will run (train/run.cpp's rule): the
// user's choice, else the cores this process may use, shared with the other
// ranks of its host.
int worker_threads(const config::Config* cfg, const train::RunOptions* o) {
  if (o && o->threads > 0) return static_cast<int>(o->threads);
  if (cfg && cfg->run.threads > 0) return static_cast<int>(cfg->run.threads);
  if (const char* omp = std::getenv("OMP_NUM_THREADS"))
    if (std::atoi(omp) > 0) return std::atoi(omp);
  return std::max(1, cores_available() / std::max(1, launch::detect_world().local_world));
}

// How idle OpenMP threads wait is fixed when the worker's runtime starts:
// spinning only while every thread has a core of its own (launch/openmp.hpp;
// bench/busy_node.sh). The user's own OMP_* values win.
[[noreturn]] void exec_worker(const Invocation& inv, int threads) {
  launch::choose_wait_policy(threads);
  const std::string worker = rank_program();
  std::vector<std::string> args = {worker};
  args.insert(args.end(), inv.args.begin(), inv.args.end());
  auto argv = exec_argv(args);
  std::fflush(stdout);
  execv(worker.c_str(), argv.data());
  throw RuntimeError("cannot run " + worker + ": " + std::strerror(errno) +
                     " (itwin-worker belongs next to itwin; set ITWIN_WORKER to its path)");
}

}  // namespace

std::string rank_program() {
  if (const char* w = std::getenv("ITWIN_WORKER")) return w;
  std::error_code ec;
  auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) throw RuntimeError("cannot find this program's path (/proc/self/exe): " + ec.message());
  return (self.parent_path() / "itwin-worker").string();
}

int torch_run_pipeline(const config::Config& cfg, const config::Pipeline&,
                       const train::RunOptions& o, const Invocation& inv) {
  exec_worker(inv, worker_threads(&cfg, &o));
}
int torch_bench_comm(const comm::BenchOptions&, const std::string&, const std::string&, double,
                     const std::string&, const Invocation& inv) {
  exec_worker(inv, worker_threads(nullptr, nullptr));
}
int torch_backends(bool, const Invocation& inv) { exec_worker(inv, 1); }
int torch_version(bool, const Invocation& inv) { exec_worker(inv, 1); }
int torch_hpo_zygote(int, const config::Config&, const config::Pipeline&, const Invocation& inv) {
  exec_worker(inv, 1);
}

}  // namespace itwin::cli
