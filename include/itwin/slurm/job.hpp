#pragma once
/// A SLURM job for a pipeline: cluster profile (data, slurm/profiles/*.yaml)
/// plus the pipeline file's `slurm:` section plus command-line flags, in
/// that order of precedence. Torch-free.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace itwin::slurm {

struct Container {
  std::string image;                  ///< .sif image; empty = no container
  std::string runtime = "apptainer";  ///< apptainer | singularity
  std::vector<std::string> binds;
  std::vector<std::string> args;  ///< extra `exec` arguments (e.g. --rocm)
};

/// Settings that a profile gives defaults for and a job may set.
struct Settings {
  std::string job_name;
  int64_t nodes = 1;
  int64_t ntasks_per_node = 0;  ///< 0: gpus_per_node, or 1 without GPUs
  int64_t gpus_per_node = 0;
  int64_t cpus_per_task = 0;  ///< 0: cpus_per_node / ntasks_per_node, or SLURM's default
  std::string time = "01:00:00";
  std::string partition, account, qos, mem, constraint, reservation;
  std::string launcher = "srun";   ///< srun | mpirun
  std::string mpi = "pmix";        ///< srun --mpi=
  std::string gpu_bind;            ///< srun --gpu-bind= (e.g. closest)
  std::string cpu_bind = "cores";  ///< srun --cpu-bind=
  std::vector<std::string> modules;
  std::map<std::string, std::string> env;
  /// env NAME -> the variable the job copies it from (`NAME: ${secret:VAR}`
  /// in slurm.env): the script says "${VAR}", so the secret's value is read
  /// where the job runs and is never written into the script.
  std::map<std::string, std::string> env_secrets;
  std::vector<std::string> srun_args;
  std::vector<std::string> sbatch_args;  ///< extra "--opt=value" lines
  std::string log_dir = "slurm-logs";
  std::string itwin;  ///< itwin on the cluster (default: this binary)
  Container container;
  int64_t max_requeues = 3;
  int64_t warn_seconds = 300;  ///< --signal=B:USR1@N before the time limit
};

struct Profile {
  std::string name, description, source;
  Settings defaults;
  int64_t max_gpus_per_node = -1;  ///< -1: unknown
  int64_t cpus_per_node = 0;
  std::string max_time;         ///< "" = no limit known
  double carbon_intensity = 0;  ///< g CO2e per kWh of the site's electricity (0 = unknown)
};

/// Everything the job script needs.
struct Job {
  Settings s;
  std::string profile;
  std::string command =
      "train";         ///< itwin subcommand run on every rank (hpo: once, in the batch step)
  std::string config;  ///< absolute path of the config snapshot the job runs
  std::string pipeline;
  std::vector<std::string> steps;
  std::string run_dir;  ///< may contain $SLURM_JOB_ID (expanded by the shell at run time)
  std::string source;   ///< the user's file, for the header comment
};

/// Minutes in a SLURM time string ("MM", "MM:SS", "HH:MM:SS", "D-HH",
/// "D-HH:MM", "D-HH:MM:SS"); -1 when malformed.
int64_t parse_time_minutes(const std::string& t);

/// Ranks per node: ntasks_per_node, else one per GPU, else 1.
int64_t tasks_per_node(const Settings& s);

/// Checks a job against its profile; throws ConfigError naming what is wrong.
/// Includes every check render() makes.
void validate(const Job& job, const Profile& profile);

/// The complete sbatch script. Pure: the same job gives the same text.
/// Safe for any job: values written unquoted (#SBATCH lines, option values)
/// must match strict patterns, or it throws ConfigError; every other value is
/// one single-quoted word; header comments show names with control
/// characters escaped; template tokens are filled in one pass.
std::string render(const Job& job);

/// Quotes a word for bash: as is when it is plainly safe, else in single
/// quotes, or as $'...' with escapes when it holds control characters (so a
/// value never spans lines of the script).
std::string shell_quote(const std::string& s);

}  // namespace itwin::slurm
