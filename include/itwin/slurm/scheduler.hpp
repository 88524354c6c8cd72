#pragma once
/// The seam between itwin and the batch system: submit a script, ask a job's
/// state, cancel it. SlurmScheduler talks to a real SLURM (sbatch, scontrol,
/// sacct); tests put a fake behind the same interface to check what is
/// submitted (ninja's CommandRunner / FakeCommandRunner).

#include <memory>
#include <string>

#include "itwin/slurm/jobs.hpp"

namespace itwin::slurm {

class Scheduler {
 public:
  virtual ~Scheduler() = default;
  /// Submits the script at `path`; returns the job id. Throws RuntimeError
  /// with the scheduler's message when it refuses.
  virtual std::string submit(const std::string& path) = 0;
  virtual JobState query(const std::string& id) = 0;
  virtual void cancel(const std::string& id) = 0;
};

/// sbatch --parsable; scontrol show job, then sacct, then sacct -c (no accounting); scancel.
std::unique_ptr<Scheduler> slurm_scheduler();

}  // namespace itwin::slurm
