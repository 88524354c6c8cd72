// The front (`itwin`): work that needs LibTorch runs in `itwin-worker`,
// started with the OpenMP environment it needs before its runtime starts.
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "itwin/util/error.hpp"
#include "torch_side.hpp"

namespace itwin::cli {
namespace {

// Passive waiting: an OpenMP thread that spins for a core another process
// holds costs 3-14x (bench/busy_node.sh). The user's own OMP_* values win.
void set_openmp_environment() { setenv("OMP_WAIT_POLICY", "PASSIVE", 0); }

[[noreturn]] void exec_worker(const Invocation& inv) {
  set_openmp_environment();
  const std::string worker = rank_program();
  std::vector<std::string> args = {worker};
  args.insert(args.end(), inv.args.begin(), inv.args.end());
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
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

int torch_run_pipeline(const config::Config&, const config::Pipeline&, const train::RunOptions&,
                       const Invocation& inv) {
  exec_worker(inv);
}
int torch_bench_comm(const comm::BenchOptions&, const std::string&, const std::string&, double,
                     const std::string&, const Invocation& inv) {
  exec_worker(inv);
}
int torch_backends(bool, const Invocation& inv) { exec_worker(inv); }
int torch_version(bool, const Invocation& inv) { exec_worker(inv); }

}  // namespace itwin::cli
