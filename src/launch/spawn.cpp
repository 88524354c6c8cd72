#include "itwin/launch/spawn.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "itwin/util/error.hpp"
#include "itwin/util/log.hpp"
#include "itwin/util/sysinfo.hpp"

namespace fs = std::filesystem;

namespace itwin::launch {
namespace {

volatile sig_atomic_t g_forward = 0;
extern "C" void remember_signal(int sig) { g_forward = sig; }


std::string self_exe() {
  std::error_code ec;
  auto p = fs::read_symlink("/proc/self/exe", ec);
  if (ec) throw RuntimeError("cannot find this program's path (/proc/self/exe): " + ec.message());
  return p.string();
}

// Threads per rank when the user did not choose: the cores, shared.
std::string threads_per_rank(int nproc) { return std::to_string(std::max(1, cores_available() / nproc)); }

}  // namespace

std::vector<std::string> mpirun_command(const SpawnOptions& o, const std::string& self) {
  std::vector<std::string> cmd = {"mpirun", "-np", std::to_string(o.nproc), "--oversubscribe", "--bind-to", "none"};
  if (geteuid() == 0) cmd.push_back("--allow-run-as-root");
  if (!std::getenv("OMP_NUM_THREADS")) {
    cmd.insert(cmd.end(), {"-x", "OMP_NUM_THREADS=" + threads_per_rank(o.nproc)});
  }
  cmd.push_back(self);
  cmd.insert(cmd.end(), o.args.begin(), o.args.end());
  return cmd;
}

int spawn_local(const SpawnOptions& o) {
  const std::string self = self_exe();
  if (o.use_mpirun) {
    auto cmd = mpirun_command(o, self);
    std::vector<char*> argv;
    for (auto& a : cmd) argv.push_back(a.data());
    argv.push_back(nullptr);
    std::fflush(stdout);
    execvp("mpirun", argv.data());
    throw RuntimeError("cannot run mpirun for --nproc (is openmpi-bin installed?); use distributed.backend: gloo instead");
  }

  // 1. A private rendezvous directory for the file store.
  std::string tmpl = (fs::temp_directory_path() / "itwin-rdzv-XXXXXX").string();
  if (!mkdtemp(tmpl.data())) throw_errno("mkdtemp");
  const std::string rdzv = "file:" + tmpl + "/store";
  // 2. Fork the ranks; each re-runs this command with its place in the world.
  std::vector<pid_t> pids;
  std::fflush(stdout);
  std::fflush(stderr);
  for (int r = 0; r < o.nproc; ++r) {
    pid_t pid = fork();
    if (pid < 0) throw_errno("fork");
    if (pid == 0) {
      setenv("ITWIN_RANK", std::to_string(r).c_str(), 1);
      setenv("ITWIN_WORLD_SIZE", std::to_string(o.nproc).c_str(), 1);
      setenv("ITWIN_LOCAL_RANK", std::to_string(r).c_str(), 1);
      setenv("ITWIN_LOCAL_WORLD_SIZE", std::to_string(o.nproc).c_str(), 1);
      setenv("ITWIN_RENDEZVOUS", rdzv.c_str(), 1);
      setenv("OMP_NUM_THREADS", threads_per_rank(o.nproc).c_str(), 0);
      std::vector<std::string> args = {self};
      args.insert(args.end(), o.args.begin(), o.args.end());
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(self.c_str(), argv.data());
      _exit(127);
    }
    pids.push_back(pid);
  }
  // 3. Wait. Stop requests (SIGUSR1, SIGTERM, SIGINT) go on to every rank.
  //    The first rank to fail takes the others down (SIGTERM, then SIGKILL
  //    after the grace period): a job never hangs on a dead rank.
  struct sigaction sa {};
  sa.sa_handler = remember_signal;
  sigemptyset(&sa.sa_mask);
  for (int sig : {SIGUSR1, SIGTERM, SIGINT}) sigaction(sig, &sa, nullptr);
  int result = 0;
  size_t alive = pids.size();
  bool stopping = false;
  auto kill_deadline = std::chrono::steady_clock::time_point::max();
  while (alive > 0) {
    int status = 0;
    pid_t pid = waitpid(-1, &status, WNOHANG);
    if (pid > 0) {
      --alive;
      int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      // The job's status: the first failure, unless a later rank says more
      // (bad input 2, diverged 3, preempted 75 beat a generic 1 or a signal,
      // e.g. the peer of a diverged rank failing on its closed connection).
      auto specific = [](int c) { return c == kExitBadInput || c == kExitDiverged || c == kExitPreempted; };
      if (code != 0 && (result == 0 || (specific(code) && !specific(result)))) result = code;
      for (size_t r = 0; r < pids.size(); ++r) {
        if (pids[r] != pid) continue;
        pids[r] = -1;
        if (code != 0 && code != kExitPreempted && !stopping) {
          spdlog::error("rank {} exited with status {}; stopping the other ranks", r, code);
          stopping = true;
          for (pid_t p : pids)
            if (p > 0) kill(p, SIGTERM);
          kill_deadline = std::chrono::steady_clock::now() +
                          std::chrono::milliseconds(static_cast<int64_t>(o.grace_s * 1000));
        }
      }
      continue;
    }
    if (int sig = g_forward) {
      g_forward = 0;
      for (pid_t p : pids)
        if (p > 0) kill(p, sig);
    }
    if (stopping && std::chrono::steady_clock::now() > kill_deadline) {
      for (pid_t p : pids)
        if (p > 0) kill(p, SIGKILL);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // polling the children
  }
  std::error_code ec;
  fs::remove_all(tmpl, ec);
  return result;
}

}  // namespace itwin::launch
