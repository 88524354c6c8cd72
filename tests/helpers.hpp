#pragma once
// Shared test helpers: temp directories, running the built binary.

#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace itwin::test {

/// A fresh directory under $TMPDIR, removed when the object dies.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  /// Writes `text` to path()/name (creating sub-directories) and returns the full path.
  std::string write(const std::string& name, const std::string& text) const;

 private:
  std::string path_;
};

struct ProcResult {
  int exit_code = -1;
  std::string out;  ///< stdout and stderr together
};

/// Runs a shell command line, capturing stdout+stderr (bounded by `timeout_s`).
ProcResult run_shell(const std::string& cmd, int timeout_s = 300);

/// A process started in the background (its stdout and stderr to `log`).
struct Background {
  int pid = -1;
  std::string log;
  /// Its exit status (128+signal when killed); -1 while it still runs after
  /// `timeout_s` (then it is killed).
  int wait(double timeout_s = 120);
  std::string output() const;
  /// SIGKILLs it as soon as `path` exists (polled as wait_until does) and
  /// reaps it: true when the file appeared while it ran and the SIGKILL
  /// ended it; false when it exited first or the file never came.
  bool kill_when_exists(const std::string& path, double timeout_s = 120);
};
Background start_background(const std::vector<std::string>& argv, const std::string& log,
                            const std::vector<std::pair<std::string, std::string>>& env = {});

/// Polls `pred` every 10 ms until it holds (a readiness check, not a fixed
/// sleep); false after `timeout_s`.
bool wait_until(const std::function<bool()>& pred, double timeout_s = 60);

/// Path of the built itwin binary (ITWIN_BIN from meson).
std::string itwin_bin();

/// The source tree root (ITWIN_SOURCE_ROOT from meson).
std::string source_root();

/// Command line running tests/train/pytorch_helper.py ARGS with Debian's python3-torch.
std::string pytorch_helper(const std::string& args);

}  // namespace itwin::test
