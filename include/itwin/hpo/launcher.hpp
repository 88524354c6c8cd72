#pragma once
/// How a study starts its trials: each segment of a trial is one
/// `itwin train` process (or `srun` of one, inside a SLURM allocation). The
/// controller talks to a TrialRunner only, so a unit test can replace the
/// processes by a script.

#include <signal.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace itwin::hpo {

/// One segment of a trial: what `itwin train` gets.
struct TrialLaunch {
  int64_t trial = 0;
  std::string config;  ///< the study's config snapshot
  std::string pipeline;
  std::string run_dir;            ///< the trial's run directory
  std::vector<std::string> sets;  ///< KEY=VALUE overrides (--set)
  bool resume = false;            ///< continue from the run directory's checkpoint
  int64_t until = 0;              ///< --until-epoch (0: train all epochs)
  int ranks = 1;                  ///< ranks of this trial
  int threads = 0;                ///< --threads per rank (0: leave to itwin)
  std::string log;                ///< file receiving the segment's stdout and stderr
};

/// Where trials run: here (itwin's own launcher for several ranks) or as
/// job steps of the SLURM allocation the study runs in.
struct LaunchEnv {
  std::string itwin;       ///< path of the itwin binary
  bool slurm = false;      ///< srun --exact job steps
  int tasks_per_node = 0;  ///< SLURM_NTASKS_PER_NODE (0: unknown; srun chooses the nodes)
};

/// The command line of one segment.
std::vector<std::string> trial_argv(const TrialLaunch& l, const LaunchEnv& env);

/// How spawn_child starts a child beyond argv and its log.
struct ChildOptions {
  int death_signal = SIGTERM;  ///< sent to it when this process dies (PR_SET_PDEATHSIG)
  const std::vector<std::string>* env = nullptr;  ///< its whole environment (null: this one's)
  int pass_fd = -1;                               ///< becomes its fd 3 (-1: none)
};

/// Starts `argv` as a child process in its own process group, stdin
/// /dev/null, stdout and stderr appended to `log`, default SIGPIPE, and
/// `o.death_signal` when this process dies. Returns its pid.
int64_t spawn_child(const std::vector<std::string>& argv, const std::string& log,
                    const ChildOptions& o = {});

/// A trial segment: spawn_child with SIGTERM at this process's death, which
/// makes it checkpoint and exit 75, so a resumed study continues it.
inline int64_t spawn_segment(const std::vector<std::string>& argv, const std::string& log) {
  return spawn_child(argv, log);
}

/// A waitpid status as the controller counts it: the exit status, or
/// 128+N when killed by signal N.
int exit_status(int wait_status);

/// LaunchEnv from this process and its environment (SLURM_JOB_ID set: srun).
LaunchEnv detect_launch_env();

struct Exited {
  int64_t handle = 0;
  int status = 0;  ///< exit status, or 128+N when killed by signal N
};

class TrialRunner {
 public:
  virtual ~TrialRunner() = default;
  /// Starts a segment; returns its handle.
  virtual int64_t start(const TrialLaunch& l) = 0;
  /// Waits up to `timeout_s` for a segment to end; nullopt when none did
  /// (or a signal arrived).
  virtual std::optional<Exited> wait(double timeout_s) = 0;
  /// Sends `sig` to a running segment.
  virtual void signal(int64_t handle, int sig) = 0;
};

/// Runs segments as child processes (trial_argv) with their output in
/// TrialLaunch::log. Each child gets SIGTERM when the controller dies, so
/// that it checkpoints and stops instead of running on unsupervised.
std::unique_ptr<TrialRunner> make_process_runner(LaunchEnv env);

/// The signal that asked the controller to stop (SIGTERM, SIGINT, SIGUSR1),
/// or 0. install_controller_signals() makes these signals (and SIGCHLD)
/// wake a process runner's wait.
void install_controller_signals();
int controller_signal();
/// The read end of the self-pipe those signals write to (-1 before
/// install_controller_signals()): a runner polls it beside its own fds.
int controller_wake_fd();

}  // namespace itwin::hpo
