// Trial segments as processes: the command line, and a runner that forks
// them, reaps them and wakes on signals through a self-pipe.
#include "itwin/hpo/launcher.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <set>

#include "itwin/util/error.hpp"
#include "itwin/util/process.hpp"
#include "itwin/util/strings.hpp"

namespace fs = std::filesystem;

namespace itwin::hpo {
namespace {

int g_pipe[2] = {-1, -1};
volatile sig_atomic_t g_signal = 0;

extern "C" void on_signal(int sig) {
  if (sig != SIGCHLD) g_signal = sig;
  int saved = errno;
  if (g_pipe[1] >= 0) (void)!::write(g_pipe[1], "x", 1);
  errno = saved;
}

void drain() {
  char buf[64];
  while (g_pipe[0] >= 0 && ::read(g_pipe[0], buf, sizeof buf) > 0) {
  }
}

class ProcessRunner : public TrialRunner {
 public:
  explicit ProcessRunner(LaunchEnv env) : env_(std::move(env)) {}

  int64_t start(const TrialLaunch& l) override {
    const int64_t pid = spawn_segment(trial_argv(l, env_), l.log);
    pids_.insert(static_cast<pid_t>(pid));
    return pid;
  }

  std::optional<Exited> wait(double timeout_s) override {
    if (auto e = reap()) return e;
    if (g_pipe[0] >= 0) {
      struct pollfd p = {g_pipe[0], POLLIN, 0};
      ::poll(&p, 1, static_cast<int>(timeout_s * 1000));
      drain();
    }
    return reap();
  }

  void signal(int64_t handle, int sig) override {
    // srun turns SIGTERM (and SIGHUP, SIGQUIT) into SIGKILL of the step's tasks
    // ("forcing job termination"), so a trial asked to checkpoint would be
    // killed: the stop request that reaches the ranks intact is SIGUSR1.
    if (env_.slurm && sig == SIGTERM) sig = SIGUSR1;
    if (pids_.count(static_cast<pid_t>(handle))) ::kill(static_cast<pid_t>(handle), sig);
  }

 private:
  std::optional<Exited> reap() {
    for (pid_t pid : pids_) {
      int status = 0;
      pid_t r = ::waitpid(pid, &status, WNOHANG);
      if (r == pid) {
        pids_.erase(pid);
        return Exited{pid, exit_status(status)};
      }
    }
    return std::nullopt;
  }

  LaunchEnv env_;
  std::set<pid_t> pids_;
};

}  // namespace

int64_t spawn_child(const std::vector<std::string>& argv, const std::string& log,
                    const ChildOptions& o) {
  fs::create_directories(fs::path(log).parent_path());
  int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (out < 0) throw_errno("cannot open " + log);
  auto args = exec_argv(argv);  // before fork: the child does not allocate
  std::vector<char*> envp;
  if (o.env) envp = exec_argv(*o.env);
  const pid_t parent = ::getpid();
  std::fflush(stdout);
  std::fflush(stderr);
  pid_t pid = ::fork();
  if (pid < 0) throw_errno("fork");
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, o.death_signal);
    if (::getppid() != parent) _exit(75);
    ::setpgid(0, 0);  // a terminal's ^C reaches the controller, which forwards it
    int in = ::open("/dev/null", O_RDONLY);
    ::dup2(in, 0);
    ::dup2(out, 1);
    ::dup2(out, 2);
    if (o.pass_fd >= 0) {
      if (o.pass_fd == 3) ::fcntl(3, F_SETFD, 0);
      ::dup2(o.pass_fd, 3);  // the copy keeps no FD_CLOEXEC
    }
    ::signal(SIGPIPE, SIG_DFL);
    if (o.env)
      ::execve(args[0], args.data(), envp.data());
    else
      ::execvp(args[0], args.data());
    std::fprintf(stderr, "itwin hpo: cannot run %s: %s\n", args[0], std::strerror(errno));
    _exit(127);
  }
  ::close(out);
  return pid;
}

int exit_status(int wait_status) {
  return WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : 128 + WTERMSIG(wait_status);
}

int controller_wake_fd() { return g_pipe[0]; }

std::vector<std::string> trial_argv(const TrialLaunch& l, const LaunchEnv& env) {
  std::vector<std::string> a;
  if (env.slurm) {
    a = {"srun", "--exact", "--kill-on-bad-exit=1", "-n", std::to_string(l.ranks)};
    if (env.tasks_per_node > 0) {
      a.push_back("--nodes=" +
                  std::to_string((l.ranks + env.tasks_per_node - 1) / env.tasks_per_node));
    }
  }
  a.insert(a.end(),
           {env.itwin, "train", l.config, "--pipeline", l.pipeline, "--run-dir", l.run_dir});
  for (const auto& s : l.sets) a.insert(a.end(), {"--set", s});
  if (l.resume) a.push_back("--resume");
  if (l.until > 0) a.insert(a.end(), {"--until-epoch", std::to_string(l.until)});
  if (!env.slurm && l.ranks > 1) a.insert(a.end(), {"--nproc", std::to_string(l.ranks)});
  if (l.threads > 0) a.insert(a.end(), {"--threads", std::to_string(l.threads)});
  return a;
}

LaunchEnv detect_launch_env() {
  LaunchEnv e;
  std::error_code ec;
  auto self = fs::read_symlink("/proc/self/exe", ec);
  if (ec) throw RuntimeError("cannot find this program's path (/proc/self/exe): " + ec.message());
  e.itwin = self.string();
  const char* job = std::getenv("SLURM_JOB_ID");
  e.slurm = job && *job;
  if (const char* t = std::getenv("SLURM_NTASKS_PER_NODE"))
    e.tasks_per_node = std::atoi(t);  // "4" or "4(x2)"
  return e;
}

std::unique_ptr<TrialRunner> make_process_runner(LaunchEnv env) {
  return std::make_unique<ProcessRunner>(std::move(env));
}

void install_controller_signals() {
  if (g_pipe[0] < 0) {
    if (::pipe2(g_pipe, O_CLOEXEC | O_NONBLOCK) != 0) throw_errno("pipe");
  }
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  for (int s : {SIGTERM, SIGINT, SIGUSR1, SIGCHLD}) ::sigaction(s, &sa, nullptr);
}

int controller_signal() { return g_signal; }

}  // namespace itwin::hpo
