// Continuing a study another controller left: trials it had running are
// settled from what their run directories hold, then resumed.
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <thread>

#include "itwin/hpo/controller.hpp"
#include "itwin/util/fs.hpp"
#include "itwin/util/sysinfo.hpp"

namespace fs = std::filesystem;

namespace itwin::hpo {
namespace {

// The process of an earlier controller's trial, if it still runs here: its
// command line names the run directory (an exec'd segment), or its output
// goes to the trial's log (a segment forked from a zygote, whose command
// line is the zygote's).
bool is_trial_process(int64_t pid, const std::string& host, const std::string& dir,
                      const std::string& log) {
  if (pid <= 0 || host != host_name()) return false;
  std::error_code ec;
  auto out = fs::read_symlink("/proc/" + std::to_string(pid) + "/fd/1", ec);
  if (!ec && out == fs::weakly_canonical(log, ec)) return true;
  std::string cmd;
  try {
    cmd = read_file("/proc/" + std::to_string(pid) + "/cmdline");
  } catch (const std::exception&) {
    return false;  // gone
  }
  for (char& c : cmd)
    if (c == '\0') c = ' ';
  return cmd.find(" " + dir + " ") != std::string::npos;  // not a reused pid
}

// Waits until `pid` exits (it is not our child: a pidfd, else polling).
void wait_gone(int64_t pid, const std::function<int()>& stop) {
#ifdef SYS_pidfd_open
  int fd = static_cast<int>(::syscall(SYS_pidfd_open, static_cast<pid_t>(pid), 0));
  if (fd >= 0) {
    struct pollfd p = {fd, POLLIN, 0};
    while (::poll(&p, 1, 1000) == 0 && !stop()) {
    }
    ::close(fd);
    return;
  }
#endif
  while (::kill(static_cast<pid_t>(pid), 0) == 0 && !stop()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));  // no pidfd: poll the process
  }
}

}  // namespace

void Controller::reconcile() {
  for (size_t i = 0; i < study_.state().trials.size(); ++i) {
    const Trial& t = study_.state().trials[i];
    const int64_t id = t.id;
    const std::string dir = trial_dir(id);
    if (t.status == Status::kPending) {
      queue_.push_back({id, "new"});  // proposed, never started
    } else if (t.status == Status::kInterrupted) {
      queue_.push_back({id, read_outcome(dir).checkpoint ? "resume" : "restart"});
    } else if (t.status == Status::kRunning) {
      char log[32];
      std::snprintf(log, sizeof log, "/logs/trial-%04lld.log", static_cast<long long>(id));
      if (is_trial_process(t.pid, t.host, dir, o_.study_dir + log)) {
        // It got SIGTERM when its controller died and is writing its checkpoint;
        // SIGUSR1 asks the same of it and, unlike SIGTERM, passes through srun
        // intact (srun kills a step's tasks on SIGTERM).
        table_.note("trial " + std::to_string(id) + ": waiting for its process " +
                    std::to_string(t.pid) + " from the earlier controller to stop");
        ::kill(static_cast<pid_t>(t.pid), SIGUSR1);
        wait_gone(t.pid, o_.stop_signal);
      }
      MetricsTail tail(dir + "/metrics.jsonl");
      read_metrics(id, tail);
      settle(id, -1);
    }
  }
}

}  // namespace itwin::hpo
