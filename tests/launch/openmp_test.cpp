#include "itwin/launch/openmp.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <string>

#include "itwin/util/sysinfo.hpp"

using namespace itwin::launch;

namespace {

// A process that keeps one thread runnable until it is killed.
struct Hog {
  pid_t pid = fork();
  Hog() {
    if (pid == 0) {
      for (volatile unsigned long i = 0;; ++i) {
      }
    }
  }
  ~Hog() {
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
  }
};

// OMP_WAIT_POLICY as the test found it, put back afterwards.
struct SavedPolicy {
  const char* v = std::getenv("OMP_WAIT_POLICY");
  std::string saved = v ? v : "";
  bool had = v != nullptr;
  ~SavedPolicy() {
    if (had)
      setenv("OMP_WAIT_POLICY", saved.c_str(), 1);
    else
      unsetenv("OMP_WAIT_POLICY");
  }
};

}  // namespace

TEST_CASE("openmp: threads spin only when each has a core of its own", "[launch]") {
  CHECK(wait_policy(2, 1, 2, 0.0) == "ACTIVE");
  CHECK(wait_policy(2, 1, 2, 0.2) == "ACTIVE");    // a blip in one sample
  CHECK(wait_policy(2, 1, 2, 1.0) == "PASSIVE");   // another process holds a core
  CHECK(wait_policy(2, 2, 4, 0.0) == "ACTIVE");    // 2 ranks x 2 threads on 4 cores
  CHECK(wait_policy(2, 2, 2, 0.0) == "PASSIVE");   // oversubscribed by itself
  CHECK(wait_policy(8, 1, 64, 30.0) == "ACTIVE");  // a big node, half busy
  CHECK(wait_policy(1, 1, 2, 0.0) == "PASSIVE");   // one thread: no team waits
}

TEST_CASE("openmp: a busy process is seen at once; a user's policy wins", "[launch]") {
  SavedPolicy keep;
  Hog hog;
  REQUIRE(hog.pid > 0);
  CHECK(runnable_elsewhere(20, 1) >= 0.9);
  unsetenv("OMP_WAIT_POLICY");
  // Every core wanted by this run's threads while the hog holds one.
  CHECK(choose_wait_policy(std::max(2, itwin::cores_available())) == "PASSIVE");
  CHECK(std::string(std::getenv("OMP_WAIT_POLICY")) == "PASSIVE");
  setenv("OMP_WAIT_POLICY", "active", 1);
  CHECK(choose_wait_policy(2) == "active");
  CHECK(std::string(std::getenv("OMP_WAIT_POLICY")) == "active");
}
