#include "itwin/util/signals.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>

using Catch::Contains;

namespace {

// Runs `body` in a child whose stderr is captured; returns (wait status, stderr).
template <class F>
std::pair<int, std::string> in_child(F body) {
  int fds[2];
  REQUIRE(pipe(fds) == 0);
  pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    dup2(fds[1], STDERR_FILENO);
    close(fds[0]);
    body();
    _exit(0);
  }
  close(fds[1]);
  std::string err;
  char buf[4096];
  for (ssize_t n; (n = read(fds[0], buf, sizeof buf)) > 0;) err.append(buf, static_cast<size_t>(n));
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  return {status, err};
}

int deep(volatile int* p, int n) { return n == 0 ? *p : deep(p, n - 1) + 1; }

}  // namespace

TEST_CASE("signals: a crash prints its signal and stack, and still dies of that signal", "[util]") {
  auto [status, err] = in_child([] {
    itwin::install_crash_reporter();
    int* volatile bad = nullptr;  // unknown to the optimiser: a real invalid read
    deep(bad, 3);
  });
  INFO(err);
  REQUIRE(WIFSIGNALED(status));
  CHECK(WTERMSIG(status) == SIGSEGV);
  CHECK_THAT(err, Contains("itwin: fatal SIGSEGV in process "));
  CHECK_THAT(err, Contains("stack (innermost first)"));
  CHECK_THAT(err, Contains("test_core"));  // the frames name the program
}

TEST_CASE("signals: abort() is reported the same way", "[util]") {
  auto [status, err] = in_child([] {
    itwin::install_crash_reporter();
    abort();
  });
  REQUIRE(WIFSIGNALED(status));
  CHECK(WTERMSIG(status) == SIGABRT);
  CHECK_THAT(err, Contains("itwin: fatal SIGABRT"));
}
