#pragma once
/// Stop requests: SIGUSR1 (SLURM's warning before the time limit, sent with
/// `--signal`), SIGTERM (preemption, scancel), SIGINT (Ctrl-C) and SIGHUP (a
/// closed terminal) set a flag that the trainer polls at step boundaries; it
/// then writes a checkpoint and exits with kExitPreempted (75; 130 for
/// SIGINT) so that the job script can requeue. A second SIGINT ends the
/// process at once.

namespace itwin {

void install_stop_handlers();
/// The signal that asked to stop, or 0.
int stop_requested();

/// Fatal signals (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT): print the
/// signal, the process and its stack (raw addresses and symbols, from
/// backtrace(3)) to stderr, which the rank log and the SLURM job's output
/// keep, then die of the same signal (the exit status is unchanged). A crash
/// in a job on a cluster is then a report a developer can act on.
void install_crash_reporter();

}  // namespace itwin
