// Start-up marks (startup_trace.hpp): torch-free, no logging (they run before it starts).
#include "itwin/util/startup_trace.hpp"

#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

namespace itwin {
namespace {

double now_unix() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// When the kernel started this process, in unix seconds (clock-tick resolution): its age is
// CLOCK_BOOTTIME now minus field 22 of /proc/self/stat (start time after boot, in ticks).
// /proc/stat's btime is whole seconds, too coarse to place it. 0 when unreadable.
double process_start_unix() {
  std::ifstream stat("/proc/self/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  auto close = text.rfind(')');  // the command name may hold spaces
  if (close == std::string::npos) return 0;
  std::istringstream fields(text.substr(close + 2));
  std::string f;
  for (int i = 3; i <= 22 && fields >> f; ++i) {
  }
  const double started = std::atof(f.c_str()) / static_cast<double>(sysconf(_SC_CLK_TCK));
  timespec boot{};
  if (started <= 0 || clock_gettime(CLOCK_BOOTTIME, &boot) != 0) return 0;
  const double age =
      static_cast<double>(boot.tv_sec) + static_cast<double>(boot.tv_nsec) * 1e-9 - started;
  return now_unix() - age;
}

void append(const char* path, const char* what, double t) {
  char line[160];
  int n = std::snprintf(line, sizeof line, "%d %s %.6f\n", static_cast<int>(getpid()), what, t);
  int fd = ::open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return;
  if (n > 0) (void)!::write(fd, line, static_cast<size_t>(n));
  ::close(fd);
}

}  // namespace

void startup_mark(const char* what) {
  const char* path = std::getenv("ITWIN_STARTUP_TRACE");
  if (!path || !*path) return;
  static bool first = true;
  if (first) {
    first = false;
    append(path, "exec", process_start_unix());
  }
  append(path, what, now_unix());
}

}  // namespace itwin
