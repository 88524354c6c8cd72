#pragma once
/// `itwin train --nproc N`: start N local ranks of this same command, so a
/// user needs no launcher knowledge.

#include <string>
#include <vector>

namespace itwin::launch {

struct SpawnOptions {
  int nproc = 1;
  bool use_mpirun = false;         ///< through mpirun (for the mpi backend)
  std::vector<std::string> args;   ///< the command line without --nproc
  double grace_s = 10;             ///< after one rank fails: SIGTERM, then SIGKILL after this
};

/// With mpirun: replaces this process by `mpirun -np N ... itwin ARGS`
/// (returns only on failure). Otherwise forks N ranks with ITWIN_RANK etc.
/// and a file rendezvous, waits, and stops them all as soon as one fails.
/// Returns the exit status for the whole job.
int spawn_local(const SpawnOptions& o);

/// The mpirun argument list spawn_local uses (for tests and --dry-run).
std::vector<std::string> mpirun_command(const SpawnOptions& o, const std::string& self);

}  // namespace itwin::launch
