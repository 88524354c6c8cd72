// `--nproc N`: itwin's own launcher (or a supervised mpirun) for local ranks.
//
//   1. a private directory: the file rendezvous and the job file (rank 0
//      writes its run directory there);
//   2. the ranks (or mpirun) start with the environment set before their
//      OpenMP runtime starts: threads per rank, passive waiting; each dies
//      with the launcher (PR_SET_PDEATHSIG), so no rank outlives a killed job;
//   3. wait: stop requests go on to the ranks (through mpirun as SIGUSR1,
//      which mpirun forwards); the first rank to fail takes the others down;
//   4. the job's status: the most specific exit status; a run whose rank 0
//      died without writing its summary gets summary.json status FAILED; a
//      failed job ends with the run's error, said by the launcher.
#include "itwin/launch/spawn.hpp"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>

#include "itwin/launch/openmp.hpp"
#include "itwin/util/error.hpp"
#include "itwin/util/fs.hpp"
#include "itwin/util/job_error.hpp"
#include "itwin/util/log.hpp"
#include "itwin/util/process.hpp"
#include "itwin/util/strings.hpp"
#include "itwin/util/sysinfo.hpp"

namespace fs = std::filesystem;

namespace itwin::launch {
namespace {

volatile sig_atomic_t g_forward = 0;
volatile sig_atomic_t g_interrupts = 0;
extern "C" void remember_signal(int sig) {
  g_forward = sig;
  if (sig == SIGINT) ++g_interrupts;
}

std::string self_exe() {
  std::error_code ec;
  auto p = fs::read_symlink("/proc/self/exe", ec);
  if (ec) throw RuntimeError("cannot find this program's path (/proc/self/exe): " + ec.message());
  return p.string();
}

// Threads per rank when the user did not choose: the cores, shared.
std::string threads_per_rank(int nproc) {
  return std::to_string(std::max(1, cores_available() / nproc));
}

// The OpenMP environment a rank needs before its runtime starts; a user's own
// OMP_* values win. Spinning threads only when every thread of every rank has
// a core to itself (launch/openmp.hpp; docs/distributed.md).
std::vector<std::pair<std::string, std::string>> rank_environment(int nproc,
                                                                  const std::string& job_file) {
  std::vector<std::pair<std::string, std::string>> env;
  const char* user_threads = std::getenv("OMP_NUM_THREADS");
  const std::string per_rank = user_threads ? user_threads : threads_per_rank(nproc);
  if (!user_threads) env.emplace_back("OMP_NUM_THREADS", per_rank);
  if (!std::getenv("OMP_WAIT_POLICY")) {
    const int threads = std::max(1, std::atoi(per_rank.c_str()));
    env.emplace_back("OMP_WAIT_POLICY", wait_policy(threads, nproc, cores_available(),
                                                    threads > 1 ? runnable_elsewhere() : 0.0));
  }
  env.emplace_back("ITWIN_JOB_FILE", job_file);
  return env;
}

// In a child after fork: die with the launcher, even when it is killed.
void die_with_parent(pid_t launcher) {
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  if (getppid() != launcher) _exit(1);  // it died before prctl took effect
}

[[noreturn]] void exec(const std::vector<std::string>& cmd, bool path_lookup) {
  auto argv = exec_argv(cmd);
  if (path_lookup) {
    execvp(argv[0], argv.data());
  } else {
    execv(argv[0], argv.data());
  }
  std::fprintf(stderr, "itwin: cannot run %s: %s\n", argv[0], std::strerror(errno));
  _exit(127);
}

// The status of the whole job: the first failure, unless a later rank says
// more (bad input 2, diverged 3, preempted 75 beat a generic 1 or a signal,
// e.g. the peer of a diverged rank failing on its closed connection).
void merge_status(int& result, int code) {
  auto specific = [](int c) {
    return c == kExitBadInput || c == kExitDiverged || c == kExitPreempted;
  };
  if (code != 0 && (result == 0 || (specific(code) && !specific(result)))) result = code;
}

// The end of a failed job, said by the launcher where the user looks: the
// error of the rank that failed, else the run's error from its summary. A
// rank's own message may not have reached the console: mpirun drops the
// output in flight when MPI_Abort ends the job. The summary gets the cause
// too: when rank 0 died before it could end the run, or ended it with what
// it saw of another rank's failure (a closed connection), keeping that as
// `lead_error`.
//
// Returns the job's status: `status`, except when mpirun itself died by a
// signal after a rank had ended the job alone. Open MPI 4.1's mpirun can
// crash (SIGSEGV in pmix_server_log_fn) while it handles that rank's
// MPI_Abort; the job's status is then that rank's exit code.
int report_failed_job(const std::string& job_file, int status, bool mpirun) {
  JobError cause = job_error(job_file, status);
  if (mpirun && status > 128 && !cause.matches && cause.exit_code > 0) {
    spdlog::warn(
        "mpirun ended with status {} after a rank ended the job (Open MPI's own "
        "failure); the job's status is that rank's: {}",
        status, cause.exit_code);
    status = cause.exit_code;  // job_error's choice for this status is the same rank's
    cause.matches = true;
  }
  std::string error = cause.text, run_dir;
  std::error_code ec;
  if (fs::exists(job_file, ec)) {
    run_dir = trim(read_file(job_file));
    const std::string summary = run_dir + "/summary.json";
    auto j = fs::exists(summary, ec) ? nlohmann::json::parse(read_file(summary), nullptr, false)
                                     : nlohmann::json();
    if (j.is_object()) {
      const std::string lead_error = j.value("error", "");
      if (j.value("status", "") == "RUNNING") {
        j["status"] = "FAILED";
        j["error"] = !error.empty() ? error
                     : status > 128
                         ? "a rank was killed by signal " + std::to_string(status - 128) + " (" +
                               strsignal(status - 128) + ") before the run could end"
                         : "the job ended with status " + std::to_string(status) +
                               " before rank 0 could end the run";
        j["finished"] =
            std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
                .count();
        write_file_atomic(summary, j.dump(2) + "\n");
      } else if (cause.matches &&
                 cause.text.find(lead_error) == std::string::npos) {  // "[rank r/N] " + it
        j["error"] = cause.text;
        if (!lead_error.empty()) j["lead_error"] = lead_error;
        write_file_atomic(summary, j.dump(2) + "\n");
      }
      if (error.empty()) error = j.value("error", "");
    }
  }
  if (status == kExitPreempted || status == kExitInterrupted || error.empty())
    return status;  // stopped to be continued, or nothing more to say
  if (run_dir.empty())
    spdlog::error("the job failed with status {}: {}", status, error);
  else
    spdlog::error("the job failed with status {}: {} (run {}, logs in {}/logs)", status, error,
                  run_dir, run_dir);
  return status;
}

}  // namespace

std::vector<std::string> mpirun_command(const SpawnOptions& o, const std::string& self) {
  std::vector<std::string> cmd = {"mpirun",          "-np",       std::to_string(o.nproc),
                                  "--oversubscribe", "--bind-to", "none"};
  if (geteuid() == 0) cmd.push_back("--allow-run-as-root");
  // One host: shared memory, and no probing of UCX and its one-sided layer,
  // which costs ~0.2 s of MPI_Init (bench/perf_targets.sh); OMPI_MCA_* set by
  // the user win.
  for (const auto& [param, value] :
       {std::pair<const char*, const char*>{"pml", "ob1"}, {"btl", "self,vader"}, {"osc", "^ucx"}})
    if (!std::getenv((std::string("OMPI_MCA_") + param).c_str()))
      cmd.insert(cmd.end(), {"--mca", param, value});
  for (const auto& [k, v] : rank_environment(o.nproc, o.job_file))
    cmd.insert(cmd.end(), {"-x", k + "=" + v});
  cmd.push_back(self);
  cmd.insert(cmd.end(), o.args.begin(), o.args.end());
  return cmd;
}

int spawn_local(const SpawnOptions& given) {
  SpawnOptions o = given;
  const std::string self = o.program.empty() ? self_exe() : o.program;
  // 1. A private directory for the rendezvous and the job file.
  std::string tmpl = (fs::temp_directory_path() / "itwin-rdzv-XXXXXX").string();
  if (!mkdtemp(tmpl.data())) throw_errno("mkdtemp");
  o.job_file = tmpl + "/job";
  const std::string rdzv = "file:" + tmpl + "/store";
  const pid_t launcher = getpid();
  // 2. The ranks, or one mpirun that starts them.
  std::vector<pid_t> pids;
  std::fflush(stdout);
  std::fflush(stderr);
  const int children = o.use_mpirun ? 1 : o.nproc;
  for (int r = 0; r < children; ++r) {
    pid_t pid = fork();
    if (pid < 0) throw_errno("fork");
    if (pid == 0) {
      die_with_parent(launcher);
      if (o.use_mpirun) exec(mpirun_command(o, self), true);
      setenv("ITWIN_RANK", std::to_string(r).c_str(), 1);
      setenv("ITWIN_WORLD_SIZE", std::to_string(o.nproc).c_str(), 1);
      setenv("ITWIN_LOCAL_RANK", std::to_string(r).c_str(), 1);
      setenv("ITWIN_LOCAL_WORLD_SIZE", std::to_string(o.nproc).c_str(), 1);
      setenv("ITWIN_RENDEZVOUS", rdzv.c_str(), 1);
      for (const auto& [k, v] : rank_environment(o.nproc, o.job_file))
        setenv(k.c_str(), v.c_str(), 1);
      std::vector<std::string> args = {self};
      args.insert(args.end(), o.args.begin(), o.args.end());
      exec(args, false);
    }
    pids.push_back(pid);
  }
  // 3. Wait. Stop requests go on to every rank; mpirun forwards SIGUSR1 (not
  //    SIGTERM or SIGINT, on which it kills the ranks before they checkpoint).
  struct sigaction sa {};
  sa.sa_handler = remember_signal;
  sigemptyset(&sa.sa_mask);
  for (int sig : {SIGUSR1, SIGTERM, SIGINT, SIGHUP}) sigaction(sig, &sa, nullptr);
  int result = 0;
  size_t alive = pids.size();
  bool stopping = false, interrupted = false;
  auto kill_deadline = std::chrono::steady_clock::time_point::max();
  while (alive > 0) {
    int status = 0;
    pid_t pid = waitpid(-1, &status, WNOHANG);
    if (pid > 0) {
      --alive;
      int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      merge_status(result, code);
      for (size_t r = 0; r < pids.size(); ++r) {
        if (pids[r] != pid) continue;
        pids[r] = -1;
        if (code != 0 && code != kExitPreempted && code != kExitInterrupted && !stopping &&
            !o.use_mpirun) {  // mpirun is the one child: it ended its ranks itself
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
      interrupted = interrupted || sig == SIGINT;
      const int send = o.use_mpirun ? SIGUSR1 : sig;
      for (pid_t p : pids)
        if (p > 0) kill(p, g_interrupts > 1 ? SIGKILL : send);  // a second Ctrl-C: now
    }
    if (stopping && std::chrono::steady_clock::now() > kill_deadline) {
      for (pid_t p : pids)
        if (p > 0) kill(p, SIGKILL);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // polling the children
  }
  // 4. The job's status.
  if (interrupted && (result == kExitPreempted || result == kExitInterrupted))
    result = kExitInterrupted;
  if (result != 0) result = report_failed_job(o.job_file, result, o.use_mpirun);
  std::error_code ec;
  fs::remove_all(tmpl, ec);
  return result;
}

}  // namespace itwin::launch
