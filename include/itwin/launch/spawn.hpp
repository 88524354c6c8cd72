#pragma once
/// `itwin train --nproc N`: start N local ranks of this same command, so a
/// user needs no launcher knowledge.

#include <string>
#include <vector>

namespace itwin::launch {

struct SpawnOptions {
  int nproc = 1;
  bool use_mpirun = false;        ///< through mpirun (for the mpi backend)
  std::vector<std::string> args;  ///< the command line without --nproc
  double grace_s = 10;            ///< after one rank fails: SIGTERM, then SIGKILL after this
  std::string job_file;           ///< where rank 0 writes its run directory (set by spawn_local)
  std::string program;            ///< what each rank runs (default: this program)
};

/// Forks N ranks with ITWIN_RANK etc. and a file rendezvous (or one
/// `mpirun -np N ... itwin ARGS`), supervises them, forwards stop requests,
/// and stops them all as soon as one fails. The ranks die with this process.
/// Returns the exit status for the whole job (75 after a stop request, 130
/// after Ctrl-C) and marks a run whose rank 0 died FAILED.
int spawn_local(const SpawnOptions& o);

/// The mpirun argument list spawn_local uses (for tests and --dry-run).
std::vector<std::string> mpirun_command(const SpawnOptions& o, const std::string& self);

}  // namespace itwin::launch
