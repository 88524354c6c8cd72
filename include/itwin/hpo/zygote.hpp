#pragma once
/// The trial zygote: a fork server for one-rank local trial segments.
///
/// A segment started by exec (ProcessRunner) pays LibTorch's load and the
/// data set's decode every time (docs/hpo.md, "Where the time goes"). The
/// zygote is one `itwin-worker hpo-zygote` process per study that loads
/// LibTorch once, decodes the study's data sets once (at one thread, no
/// parallel region: nothing that is not fork-safe runs before a fork), and
/// then forks one child per segment. The child sets up its process as a
/// ProcessRunner child does (own process group, SIGTERM when its parent dies,
/// stdin /dev/null, output to the segment's log, default signal handlers)
/// and runs `itwin train` with the segment's argv in process; trials stay
/// separate processes, so a trial that is killed, diverges or throws takes
/// only itself down.
///
/// Protocol (one JSON object per SOCK_SEQPACKET message, on a socketpair):
///   zygote -> controller  {"op":"ready","pid":P}      once, after warming up
///   controller -> zygote  {"op":"start","id":N,"log":L,"argv":[...]}
///   zygote -> controller  {"op":"started","id":N,"pid":P} | {"op":"failed","id":N,"error":E}
///   controller -> zygote  {"op":"signal","pid":P,"sig":S}   (only to its live children)
///   zygote -> controller  {"op":"exit","pid":P,"status":S}  (exit status, or 128+signal)
/// The zygote ends when the controller's end of the socket closes (and dies
/// with the controller: PR_SET_PDEATHSIG); its children then get SIGTERM
/// from their own PR_SET_PDEATHSIG, checkpoint and exit 75.

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "itwin/hpo/launcher.hpp"

namespace itwin::hpo {

struct ZygoteOptions {
  std::string worker;  ///< the itwin-worker program
  std::string config;  ///< the study's config snapshot (its data sets are decoded once)
  std::string pipeline;
  std::string log;          ///< the zygote's own output
  std::string wait_policy;  ///< OMP_WAIT_POLICY for the zygote (read once, when it loads)
  int restarts = 2;         ///< new zygotes after one dies, before exec takes over
  /// Messages for the user (a zygote that died, the fall back to exec).
  std::function<void(const std::string&)> note;
};

/// A TrialRunner that forks one-rank local segments from a zygote and runs
/// any other segment (several ranks, srun) as ProcessRunner does. When the
/// zygote cannot start, or has died more than `restarts` times, it says so
/// through `note` and execs every later segment. A zygote that dies stops
/// its running segments (they checkpoint and exit 75: the controller
/// resumes them); this process becomes their subreaper
/// (PR_SET_CHILD_SUBREAPER), so their exit statuses still reach wait().
std::unique_ptr<TrialRunner> make_zygote_runner(ZygoteOptions o, LaunchEnv env);

/// The zygote's side: announces itself on `fd`, then forks a child per start
/// request and reports its pid and exit status, until `fd` closes. In the
/// child, `run_segment(argv)` runs the command line and returns its exit
/// status; the child then ends with _exit after flushing stdio. Returns 0.
int serve_zygote(int fd, const std::function<int(const std::vector<std::string>&)>& run_segment);

}  // namespace itwin::hpo
