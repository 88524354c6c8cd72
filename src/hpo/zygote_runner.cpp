// The controller's side of the trial zygote (zygote.hpp): start it, ask it
// for segments, hear their exits; exec whatever it cannot run.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <deque>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "itwin/hpo/zygote.hpp"
#include "itwin/util/error.hpp"
#include "itwin/util/process.hpp"

extern char** environ;

namespace fs = std::filesystem;

namespace itwin::hpo {
namespace {

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

class ZygoteRunner : public TrialRunner {
 public:
  ZygoteRunner(ZygoteOptions o, LaunchEnv env) : o_(std::move(o)), env_(std::move(env)) {
    if (!o_.note) o_.note = [](const std::string&) {};
    // Orphans come back here: a zygote's children outlive it (they
    // checkpoint), and their exit statuses must still reach wait().
    ::prctl(PR_SET_CHILD_SUBREAPER, 1);
  }

  ~ZygoteRunner() override {
    if (fd_ < 0 || zpid_ < 0) return;
    ::close(fd_);  // the zygote ends when its socket closes
    for (int i = 0; i < 500 && ::waitpid(zpid_, nullptr, WNOHANG) == 0; ++i) ::usleep(10000);
    ::kill(zpid_, SIGKILL);
    ::waitpid(zpid_, nullptr, WNOHANG);
  }

  int64_t start(const TrialLaunch& l) override {
    if (l.ranks == 1 && !env_.slurm && ensure_zygote()) {
      nlohmann::json m = {
          {"op", "start"}, {"id", ++requests_}, {"log", l.log}, {"argv", trial_argv(l, env_)}};
      const std::string s = m.dump();
      if (::send(fd_, s.data(), s.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(s.size())) {
        while (fd_ >= 0 && !started_.count(requests_) && !failed_.count(requests_)) pump(1000);
        if (started_.count(requests_)) {
          const pid_t pid = started_[requests_];
          started_.erase(requests_);
          return pid;
        }
      }
      if (fd_ < 0) {
        // It died while forking: this segment may have started and been
        // stopped. Count it as interrupted (resumed from its checkpoint).
        pending_.push_back({--synthetic_, 128 + SIGTERM});
        return synthetic_;
      }
      o_.note("trial zygote: cannot fork a trial (" + failed_[requests_] +
              "); running it as a new process");
    }
    const int64_t pid = spawn_segment(trial_argv(l, env_), l.log);
    exec_.insert(static_cast<pid_t>(pid));
    return pid;
  }

  std::optional<Exited> wait(double timeout_s) override {
    reap();
    if (pending_.empty()) {
      std::vector<struct pollfd> p;
      if (controller_wake_fd() >= 0) p.push_back({controller_wake_fd(), POLLIN, 0});
      if (fd_ >= 0) p.push_back({fd_, POLLIN, 0});
      ::poll(p.data(), p.size(), static_cast<int>(timeout_s * 1000));
      char buf[64];
      while (controller_wake_fd() >= 0 && ::read(controller_wake_fd(), buf, sizeof buf) > 0) {
      }
      pump(0);
      reap();
    }
    if (pending_.empty()) return std::nullopt;
    Exited e = pending_.front();
    pending_.pop_front();
    return e;
  }

  void signal(int64_t handle, int sig) override {
    const auto pid = static_cast<pid_t>(handle);
    if (live_.count(pid) && fd_ >= 0) {
      const std::string s = nlohmann::json{{"op", "signal"}, {"pid", pid}, {"sig", sig}}.dump();
      if (::send(fd_, s.data(), s.size(), MSG_NOSIGNAL) >= 0) return;
    }
    if (env_.slurm && sig == SIGTERM) sig = SIGUSR1;  // as ProcessRunner: srun kills on SIGTERM
    if (exec_.count(pid) || orphans_.count(pid)) ::kill(pid, sig);
  }

 private:
  bool ensure_zygote() {
    if (fd_ >= 0) return true;
    if (given_up_) return false;
    if (deaths_ > o_.restarts) {
      o_.note("trial zygote: it died " + std::to_string(deaths_) +
              " times; every later segment runs as a new process (hpo.isolation: exec)");
      given_up_ = true;
      return false;
    }
    const auto t0 = std::chrono::steady_clock::now();
    launch_zygote();
    while (fd_ >= 0 && !ready_ && seconds_since(t0) < 600) pump(1000);
    if (ready_) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.1f", seconds_since(t0));
      o_.note("trial zygote " + std::to_string(zpid_) + " ready in " + buf +
              " s (LibTorch loaded, data decoded once): one-rank trials fork from it");
      return true;
    }
    o_.note("trial zygote: it did not start (see " + o_.log +
            "); every segment runs as a new process (hpo.isolation: exec)");
    if (fd_ >= 0) ::close(fd_), fd_ = -1;
    if (zpid_ > 0) ::kill(zpid_, SIGKILL), ::waitpid(zpid_, nullptr, 0), zpid_ = -1;
    given_up_ = true;
    return false;
  }

  void launch_zygote() {
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) throw_errno("socketpair");
    std::vector<std::string> env;
    for (char** e = environ; *e; ++e)
      if (std::strncmp(*e, "OMP_WAIT_POLICY=", 16) != 0) env.push_back(*e);
    env.push_back("OMP_WAIT_POLICY=" + o_.wait_policy);
    ChildOptions child;
    child.death_signal = SIGKILL;  // its children then get SIGTERM: they checkpoint
    child.env = &env;
    child.pass_fd = sv[1];
    pid_t pid;
    try {
      pid = static_cast<pid_t>(
          spawn_child({o_.worker, "hpo-zygote", "--fd", "3", o_.config, "--pipeline", o_.pipeline},
                      o_.log, child));
    } catch (...) {
      ::close(sv[0]);
      ::close(sv[1]);
      throw;
    }
    ::close(sv[1]);
    fd_ = sv[0];
    ::fcntl(fd_, F_SETFL, ::fcntl(fd_, F_GETFL) | O_NONBLOCK);
    zpid_ = pid;
    ready_ = false;
  }

  // Reads the zygote's messages (waiting up to timeout_ms for the first).
  void pump(int timeout_ms) {
    if (fd_ < 0) return;
    struct pollfd p = {fd_, POLLIN, 0};
    if (timeout_ms > 0) ::poll(&p, 1, timeout_ms);
    if (read_messages()) return;
    // Its end of the socket closed: it died, or is dying.
    ::close(fd_);
    fd_ = -1;
    int status = 0;
    if (::waitpid(zpid_, &status, 0) == zpid_) zygote_died(status);
  }

  // Every message there is; false when the zygote's end is closed.
  bool read_messages() {
    std::vector<char> buf(1 << 16);
    for (;;) {
      ssize_t n = ::recv(fd_, buf.data(), buf.size(), 0);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
      if (n <= 0) return false;
      auto m = nlohmann::json::parse(buf.begin(), buf.begin() + n, nullptr, false);
      const std::string op = m.is_object() ? m.value("op", "") : "";
      if (op == "ready") ready_ = true;
      if (op == "started") {
        const pid_t pid = m.value("pid", 0);
        started_[m.value("id", int64_t{0})] = pid;
        live_.insert(pid);
      }
      if (op == "failed") failed_[m.value("id", int64_t{0})] = m.value("error", "");
      if (op == "exit") {
        const pid_t pid = m.value("pid", 0);
        if (live_.erase(pid)) pending_.push_back({pid, m.value("status", -1)});
      }
    }
  }

  // The zygote is reaped. Its running children got SIGTERM (their
  // PR_SET_PDEATHSIG): they checkpoint, exit 75 and come back to this subreaper.
  void zygote_died(int status) {
    ++deaths_;
    if (ready_) {
      o_.note("trial zygote " + std::to_string(zpid_) + " died (exit " +
              std::to_string(exit_status(status)) + "): its " + std::to_string(live_.size()) +
              " running trial(s) stop with a checkpoint and resume; a new zygote starts for the "
              "next segment");
    }
    orphans_.insert(live_.begin(), live_.end());
    live_.clear();
    zpid_ = -1;
  }

  // Every child of this process: segments it exec'd, the zygote, its
  // orphans, and any other orphan handed to this subreaper (discarded).
  void reap() {
    int status = 0;
    for (pid_t pid; (pid = ::waitpid(-1, &status, WNOHANG)) > 0;) {
      if (exec_.erase(pid) || orphans_.erase(pid)) pending_.push_back({pid, exit_status(status)});
      if (pid == zpid_) {  // reaped before its socket's end was seen: read what it left
        if (fd_ >= 0) read_messages(), ::close(fd_), fd_ = -1;
        zygote_died(status);
      }
    }
    // An orphan that is no child of this process (any more) ended unseen.
    for (auto it = orphans_.begin(); it != orphans_.end();) {
      pid_t r = ::waitpid(*it, &status, WNOHANG);
      if (r == *it || (r < 0 && errno == ECHILD)) {
        pending_.push_back({*it, r == *it ? exit_status(status) : -1});
        it = orphans_.erase(it);
      } else {
        ++it;
      }
    }
  }

  ZygoteOptions o_;
  LaunchEnv env_;
  int fd_ = -1;
  pid_t zpid_ = -1;
  bool ready_ = false, given_up_ = false;
  int deaths_ = 0;
  int64_t requests_ = 0, synthetic_ = 0;
  std::map<int64_t, pid_t> started_;
  std::map<int64_t, std::string> failed_;
  std::set<pid_t> live_;     ///< forked by the zygote, not yet reported
  std::set<pid_t> orphans_;  ///< of a zygote that died, handed to this subreaper
  std::set<pid_t> exec_;     ///< started as processes of this one
  std::deque<Exited> pending_;
};

}  // namespace

std::unique_ptr<TrialRunner> make_zygote_runner(ZygoteOptions o, LaunchEnv env) {
  return std::make_unique<ZygoteRunner>(std::move(o), std::move(env));
}

}  // namespace itwin::hpo
