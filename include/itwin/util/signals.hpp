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

}  // namespace itwin
