#pragma once
/// A submission: the settings of a job in their order of precedence (cluster
/// profile < the pipeline file's `slurm:` section < command-line flags), one
/// job or a scaling study (one job per node count), the scripts rendered,
/// and the jobs handed to a Scheduler and recorded. Torch-free and free of
/// argv: src/cli/submit.cpp only fills a SubmitRequest.

#include <cstdint>
#include <string>
#include <vector>

#include "itwin/slurm/job.hpp"
#include "itwin/slurm/jobs.hpp"
#include "itwin/slurm/scheduler.hpp"

namespace itwin::slurm {

/// What the command line sets (unset: 0 / -1 / empty).
struct JobFlags {
  int64_t nodes = 0, ntasks_per_node = -1, gpus_per_node = -1, cpus_per_task = -1;
  std::string time, partition, account, qos, mem, job_name;
};

/// `file` (the profile's defaults with the file's `slurm:` applied) with the flags on top.
Settings apply_flags(Settings file, const JobFlags& flags);

struct SubmitRequest {
  Settings settings;  ///< after apply_flags
  Profile profile;
  std::string command = "train";  ///< itwin subcommand each rank runs
  std::string pipeline;
  std::vector<std::string> steps;
  std::string source;            ///< the user's config file
  std::string config_yaml;       ///< the resolved config the jobs run (snapshot)
  std::string run_name;          ///< run.name: the default job name
  std::string run_root;          ///< absolute: where run directories go
  std::string itwin;             ///< the itwin binary on the cluster (default: this one)
  std::vector<int64_t> scaling;  ///< node counts of a scaling study; empty: one job
  std::string stamp;             ///< UTC time stamp in file names (YYYYMMDD-HHMMSS)
};

struct PlannedJob {
  Job job;             ///< job.run_dir ends with '-': the job id follows at run time
  std::string script;  ///< the rendered sbatch script
};

/// The jobs of a request, validated against the profile and rendered. Pure.
std::vector<PlannedJob> plan_jobs(const SubmitRequest& r);

/// The name of a scaling study ("" for a single job).
std::string study_group(const SubmitRequest& r);

/// Writes the config snapshot and each job's script under the log
/// directory, submits them, records them (jobs.jsonl) and, for a scaling
/// study, writes <run_root>/<group>/scaling.json listing the jobs and their
/// run directories. Returns the records in submission order.
std::vector<JobRecord> submit_jobs(const SubmitRequest& r, Scheduler& scheduler);

}  // namespace itwin::slurm
