#include "itwin/util/process.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcntl.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "itwin/util/error.hpp"

namespace itwin {

int run_process(const ProcessSpec& p) {
  if (p.argv.empty()) throw RuntimeError("run_process: empty argv");
  int err_pipe[2];
  if (pipe2(err_pipe, O_CLOEXEC) != 0) throw_errno("pipe");
  pid_t pid = fork();
  if (pid < 0) throw_errno("fork");
  if (pid == 0) {
    close(err_pipe[0]);
    for (const auto& [k, v] : p.env) setenv(k.c_str(), v.c_str(), 1);
    if (!p.cwd.empty() && chdir(p.cwd.c_str()) != 0) {
      int e = errno;
      (void)!write(err_pipe[1], &e, sizeof e);
      _exit(127);
    }
    std::vector<char*> args;
    for (const auto& a : p.argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
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
    throw RuntimeError("cannot run '" + p.argv[0] + "'" + (p.cwd.empty() ? "" : " in '" + p.cwd + "'") + ": " +
                       std::strerror(child_errno));
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(p.timeout_s);
  int status = 0;
  bool term_sent = false;
  for (;;) {
    pid_t r = waitpid(pid, &status, p.timeout_s > 0 ? WNOHANG : 0);
    if (r == pid) break;
    if (r < 0 && errno != EINTR) throw_errno("waitpid");
    if (p.timeout_s > 0 && std::chrono::steady_clock::now() > deadline) {
      kill(pid, term_sent ? SIGKILL : SIGTERM);
      term_sent = true;
      deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // polling the child for the timeout
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace itwin
