#pragma once
/// Jobs itwin submitted: a small local registry (JSON lines under the state
/// directory, util/state.hpp) and what a job's state looks like.

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
  std::string source;     ///< scontrol | sacct | sacct -c
  bool finished() const;  ///< a state SLURM will not leave
};

void add_record(const JobRecord& r);
std::vector<JobRecord> records();
/// The record of `id`; throws UsageError naming the known ids when unknown.
JobRecord find_record(const std::string& id);

}  // namespace itwin::slurm
