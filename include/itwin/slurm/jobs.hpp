#pragma once
/// Jobs itwin submitted: a small local registry (JSON lines under
/// $ITWIN_STATE_DIR, default ~/.local/state/itwin) and their state from
/// SLURM (scontrol, then sacct, then sacct -c where accounting is off).

#include <optional>
#include <string>
#include <vector>

namespace itwin::slurm {

struct JobRecord {
  std::string id, name, config, pipeline, script, log, run_dir, profile, group;
  int64_t nodes = 0;
  double submitted = 0;
};

struct JobState {
  std::string state = "UNKNOWN";  ///< PENDING, RUNNING, COMPLETED, FAILED, CANCELLED, TIMEOUT, ...
  std::string exit_code;          ///< "0:0"
  std::string reason;
  int64_t restarts = 0;
  std::string source;             ///< scontrol | sacct | sacct -c
  bool finished() const;          ///< a state SLURM will not leave
};

std::string state_dir();
void add_record(const JobRecord& r);
std::vector<JobRecord> records();
/// The record of `id`; throws UsageError naming the known ids when unknown.
JobRecord find_record(const std::string& id);

/// Submits `script` with sbatch --parsable; returns the job id. When sbatch
/// fails, the error shows its message.
std::string sbatch(const std::string& script);

JobState query(const std::string& id);
void cancel(const std::string& id);

}  // namespace itwin::slurm
