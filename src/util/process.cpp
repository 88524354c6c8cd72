#include "itwin/util/process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "itwin/util/error.hpp"
#include "itwin/util/signals.hpp"
#include "itwin/util/strings.hpp"

namespace itwin {

std::vector<char*> exec_argv(const std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (const auto& s : strings) out.push_back(const_cast<char*>(s.c_str()));
  out.push_back(nullptr);
  return out;
}

int run_process(const ProcessSpec& p) {
  if (p.argv.empty()) throw RuntimeError("run_process: empty argv");
  int err_pipe[2];
  if (pipe2(err_pipe, O_CLOEXEC) != 0) throw_errno("pipe");
  auto args = exec_argv(p.argv);
  pid_t pid = fork();
  if (pid < 0) throw_errno("fork");
  if (pid == 0) {
    close(err_pipe[0]);
    setpgid(0, 0);  // its own process group: what it leaves behind can be stopped with it
    for (const auto& [k, v] : p.env) setenv(k.c_str(), v.c_str(), 1);
    if (!p.cwd.empty() && chdir(p.cwd.c_str()) != 0) {
      int e = errno;
      (void)!write(err_pipe[1], &e, sizeof e);
      _exit(127);
    }
    execvp(args[0], args.data());
    int e = errno;
    (void)!write(err_pipe[1], &e, sizeof e);
    _exit(127);
  }
  close(err_pipe[1]);
  int child_errno = 0;
  ssize_t got = read(err_pipe[0], &child_errno, sizeof child_errno);
  close(err_pipe[0]);
  if (got == static_cast<ssize_t>(sizeof child_errno)) {
    waitpid(pid, nullptr, 0);
    throw RuntimeError("cannot run '" + p.argv[0] + "'" +
                       (p.cwd.empty() ? "" : " in '" + p.cwd + "'") + ": " +
                       std::strerror(child_errno));
  }
  setpgid(pid, pid);  // also here: no race with the child's own call
  // Wait for the process itself (not for pipes it handed on). A stop request
  // (SIGTERM, Ctrl-C) or the timeout goes to its whole group: SIGTERM, then
  // SIGKILL 5 s later.
  using Clock = std::chrono::steady_clock;
  const auto never = Clock::time_point::max();
  auto deadline =
      p.timeout_s > 0 ? Clock::now() + std::chrono::duration<double>(p.timeout_s) : never;
  int status = 0;
  bool term_sent = false;
  for (;;) {
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) break;
    if (r < 0 && errno != EINTR) throw_errno("waitpid");
    if ((stop_requested() && !term_sent) || Clock::now() > deadline) {
      kill(-pid, term_sent ? SIGKILL : SIGTERM);
      term_sent = true;
      deadline = Clock::now() + std::chrono::seconds(5);
    }
    std::this_thread::sleep_for(
        std::chrono::milliseconds(10));  // polling the child for stops and the timeout
  }
  // What it started in the background and left running ends with it.
  if (kill(-pid, 0) == 0) {
    kill(-pid, SIGTERM);
    for (int i = 0; i < 200 && kill(-pid, 0) == 0; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    kill(-pid, SIGKILL);
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

bool program_on_path(const std::string& program) {
  const char* path = std::getenv("PATH");
  for (const auto& dir : split(path ? path : "", ':')) {
    std::string p = (dir.empty() ? "." : dir) + "/" + program;
    if (::access(p.c_str(), X_OK) == 0) return true;
  }
  return false;
}

Captured run_capture(const std::vector<std::string>& argv) {
  if (argv.empty()) throw RuntimeError("run_capture: empty argv");
  int out[2], err[2];
  if (pipe(out) != 0 || pipe(err) != 0) throw_errno("pipe");
  std::fflush(stdout);
  auto args = exec_argv(argv);
  pid_t pid = fork();
  if (pid < 0) throw_errno("fork");
  if (pid == 0) {
    dup2(out[1], 1);
    dup2(err[1], 2);
    close(out[0]);
    close(err[0]);
    execvp(args[0], args.data());
    std::fprintf(stderr, "cannot run '%s': %s\n", args[0], std::strerror(errno));
    _exit(127);
  }
  close(out[1]);
  close(err[1]);
  Captured c;
  // Read both pipes without deadlocking on a full one.
  struct pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
  int open_fds = 2;
  char buf[4096];
  while (open_fds > 0) {
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      throw_errno("poll");
    }
    for (int k = 0; k < 2; ++k) {
      if (fds[k].fd < 0 || !(fds[k].revents & (POLLIN | POLLHUP))) continue;
      ssize_t n = read(fds[k].fd, buf, sizeof buf);
      if (n > 0) {
        (k == 0 ? c.out : c.err).append(buf, static_cast<size_t>(n));
      } else {
        close(fds[k].fd);
        fds[k].fd = -1;
        --open_fds;
      }
    }
  }
  int status = 0;
  waitpid(pid, &status, 0);
  c.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  if (c.exit_code == 127 && c.err.find("cannot run") != std::string::npos) {
    throw RuntimeError(trim(c.err) + " (is it installed and on PATH?)");
  }
  return c;
}

}  // namespace itwin
