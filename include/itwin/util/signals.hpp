#pragma once
/// Stop requests: SIGUSR1 (SLURM's warning before the time limit, sent with
/// `--signal`) and SIGTERM (preemption, scancel) set a flag that the trainer
/// polls at step boundaries; it then writes a checkpoint and exits with
/// kExitPreempted so that the job script can requeue.

namespace itwin {

void install_stop_handlers();
/// The signal that asked to stop, or 0.
int stop_requested();

}  // namespace itwin
