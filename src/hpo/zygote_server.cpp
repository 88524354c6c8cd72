// The zygote's side of the trial zygote (zygote.hpp): fork a child per
// segment, reap them, report. Single-threaded: the fork happens in the only
// thread, so no lock another thread held is copied into a child locked.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <set>

#include "itwin/hpo/zygote.hpp"
#include "itwin/util/startup_trace.hpp"

namespace fs = std::filesystem;

namespace itwin::hpo {
namespace {

int g_chld[2] = {-1, -1};

extern "C" void on_child(int) {
  int saved = errno;
  (void)!::write(g_chld[1], "x", 1);
  errno = saved;
}

void send_json(int fd, const nlohmann::json& j) {
  const std::string s = j.dump();
  while (::send(fd, s.data(), s.size(), MSG_NOSIGNAL) < 0 && errno == EINTR) {
  }
}

// In the child: the process a ProcessRunner child would be, then the segment.
[[noreturn]] void run_child(int fd, pid_t zygote, const std::string& log,
                            const std::vector<std::string>& argv,
                            const std::function<int(const std::vector<std::string>&)>& run) {
  ::prctl(PR_SET_PDEATHSIG, SIGTERM);  // the zygote gone: checkpoint and stop
  if (::getppid() != zygote) _exit(75);
  ::setpgid(0, 0);
  ::close(fd);
  ::close(g_chld[0]);
  ::close(g_chld[1]);
  for (int s : {SIGCHLD, SIGPIPE, SIGTERM, SIGINT, SIGUSR1, SIGHUP}) ::signal(s, SIG_DFL);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  int in = ::open("/dev/null", O_RDONLY);
  int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (in < 0 || out < 0) _exit(127);
  ::dup2(in, 0);
  ::dup2(out, 1);
  ::dup2(out, 2);
  ::close(in);
  ::close(out);
  startup_mark("fork");
  int rc = 1;
  try {
    rc = run(argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "itwin: internal error: %s\n", e.what());
  }
  // The process's files are flushed as exit() would; the zygote's static
  // objects (LibTorch's among them) are not torn down once per trial.
  std::cout.flush();
  std::cerr.flush();
  std::fflush(nullptr);
  _exit(rc);
}

}  // namespace

int serve_zygote(int fd, const std::function<int(const std::vector<std::string>&)>& run_segment) {
  if (::pipe2(g_chld, O_CLOEXEC | O_NONBLOCK) != 0) return 1;
  struct sigaction sa {};
  sa.sa_handler = on_child;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
  ::sigaction(SIGCHLD, &sa, nullptr);
  const pid_t self = ::getpid();
  std::set<pid_t> live;
  send_json(fd, {{"op", "ready"}, {"pid", self}});
  std::vector<char> buf(1 << 20);
  for (;;) {
    struct pollfd p[2] = {{fd, POLLIN, 0}, {g_chld[0], POLLIN, 0}};
    if (::poll(p, 2, -1) < 0 && errno != EINTR) break;
    char drain[64];
    while (::read(g_chld[0], drain, sizeof drain) > 0) {
    }
    int status = 0;
    for (pid_t pid; (pid = ::waitpid(-1, &status, WNOHANG)) > 0;) {
      live.erase(pid);
      send_json(fd, {{"op", "exit"}, {"pid", pid}, {"status", exit_status(status)}});
    }
    if (!(p[0].revents & (POLLIN | POLLHUP | POLLERR))) continue;
    ssize_t n = ::recv(fd, buf.data(), buf.size(), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // the controller is gone
    auto m = nlohmann::json::parse(buf.begin(), buf.begin() + n, nullptr, false);
    if (!m.is_object()) continue;
    const std::string op = m.value("op", "");
    if (op == "signal") {
      pid_t pid = m.value("pid", 0);
      if (live.count(pid)) ::kill(pid, m.value("sig", SIGTERM));
    } else if (op == "start") {
      const auto id = m.value("id", int64_t{0});
      const std::string log = m.value("log", "");
      const auto argv = m.value("argv", std::vector<std::string>{});
      std::error_code ec;
      fs::create_directories(fs::path(log).parent_path(), ec);
      std::fflush(nullptr);  // nothing buffered here is written twice
      pid_t pid = ::fork();
      if (pid == 0) run_child(fd, self, log, argv, run_segment);
      if (pid < 0) {
        send_json(fd, {{"op", "failed"}, {"id", id}, {"error", std::strerror(errno)}});
        continue;
      }
      live.insert(pid);
      send_json(fd, {{"op", "started"}, {"id", id}, {"pid", pid}});
    }
  }
  return 0;
}

}  // namespace itwin::hpo
