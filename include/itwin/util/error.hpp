#pragma once
/// One error policy for itwin: every failure a user can cause or meet is an
/// exception derived from itwin::Error that carries the process exit code.
/// `main` catches once, prints `itwin: <message>` and exits with that code.

#include <stdexcept>
#include <string>

namespace itwin {

/// Exit codes: 0 ok, 1 runtime failure, 2 bad input (config, usage),
/// 3 training diverged (NaN), 75 checkpointed and stopped on a signal
/// (SLURM's warning before the time limit, preemption), 130 interrupted.
enum ExitCode : int {
  kExitOk = 0,
  kExitFailure = 1,
  kExitBadInput = 2,
  kExitDiverged = 3,
  kExitPreempted =
      75,  ///< stopped by a signal after writing a checkpoint (EX_TEMPFAIL): requeue me
  kExitInterrupted = 130,
};

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& what, int exit_code = kExitFailure)
      : std::runtime_error(what), exit_code_(exit_code) {}
  int exit_code() const { return exit_code_; }

 private:
  int exit_code_;
};

/// Bad input in a config file or on the command line (exit 2). The message
/// already starts with `file:line:col: ` when a location is known.
class ConfigError : public Error {
 public:
  explicit ConfigError(const std::string& what) : Error(what, kExitBadInput) {}
};

/// A usage error on the command line that is not about a config value.
class UsageError : public Error {
 public:
  explicit UsageError(const std::string& what) : Error(what, kExitBadInput) {}
};

/// A failure while doing the work (I/O, data, a diverging run, ...).
class RuntimeError : public Error {
 public:
  explicit RuntimeError(const std::string& what, int exit_code = kExitFailure)
      : Error(what, exit_code) {}
};

/// An error every rank of a distributed run raises at the same point, after
/// agreeing on it over the backend (a run directory rank 0 could not make, a
/// coordinated stop before the time limit): the ranks can leave together. Any
/// other error on one rank of several ends the whole job at once (MPI_Abort),
/// so that no rank waits forever in a collective for it.
class CollectiveError : public Error {
 public:
  explicit CollectiveError(const std::string& what, int exit_code = kExitFailure)
      : Error(what, exit_code) {}
};

/// Turns a POSIX failure (errno) into a RuntimeError naming the call.
[[noreturn]] void throw_errno(const std::string& what);

}  // namespace itwin
