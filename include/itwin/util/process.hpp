#pragma once
/// Running an external program (the `command` pipeline step).

#include <map>
#include <string>
#include <vector>

namespace itwin {

struct ProcessSpec {
  std::vector<std::string> argv;           ///< argv[0] is looked up in PATH
  std::map<std::string, std::string> env;  ///< added to the inherited environment
  std::string cwd;
  double timeout_s = 0;  ///< 0 = no limit; SIGTERM then SIGKILL
};

/// Runs the program with inherited stdout/stderr in a process group of its
/// own; returns its exit status (128+signal when killed) as soon as it ends.
/// Processes it left running in the background are stopped then (so no
/// inherited pipe keeps the pipeline waiting); a stop request or the
/// timeout stops the whole group. Throws RuntimeError when it cannot start.
int run_process(const ProcessSpec& p);

struct Captured {
  int exit_code = -1;
  std::string out;  ///< stdout
  std::string err;  ///< stderr
};

/// The NULL-terminated pointer array exec*() takes, pointing into `strings`
/// (which must outlive it). Built before fork() where the child must not
/// allocate.
std::vector<char*> exec_argv(const std::vector<std::string>& strings);

/// True when `program` is an executable file in a directory of PATH.
bool program_on_path(const std::string& program);

/// Runs argv (no shell) and captures its output. Throws when it cannot start.
Captured run_capture(const std::vector<std::string>& argv);

}  // namespace itwin
