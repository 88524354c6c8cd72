#pragma once
/// The provenance of a run (provenance.json in the run directory): the
/// resolved config and its hash, itwin's version and commit, library
/// versions, hosts and rank layout, SLURM job and environment of interest,
/// start and end time, exit status.

#include <map>
#include <set>
#include <string>
#include <vector>

namespace itwin::track {

struct Provenance {
  std::string config_yaml, config_source, pipeline, run_dir;
  std::map<std::string, std::string>
      versions;                      ///< itwin, git_commit, compiler, libtorch, mpi, nccl
  std::vector<std::string> hosts;    ///< host of each rank
  std::vector<std::string> devices;  ///< device of each rank (run.device), once chosen
  int world = 1;
  std::string backend, strategy;
  double start = 0, end = 0;
  std::string status = "RUNNING", error;
};

/// FNV-1a 64-bit hash as 16 hex digits (a fingerprint, not a security hash).
std::string fnv1a64(const std::string& s);

/// The NAMEs of the `${secret:NAME}` references in a resolved config's YAML.
std::set<std::string> secret_names(const std::string& config_yaml);

/// Environment variables worth keeping (SLURM_*, OMP_*, CUDA_VISIBLE_DEVICES,
/// NCCL_*, GLOO_*, ITWIN_*, ...). The value of a variable in `hidden` (the
/// config's secrets) or whose name holds TOKEN, SECRET, PASSWORD or PASSWD
/// is "***".
std::map<std::string, std::string> environment_of_interest(
    const std::set<std::string>& hidden = {});

/// The tags every logger's run gets from the provenance: config hash, world
/// size, versions, SLURM job (on every rank, not only the one that writes it).
std::map<std::string, std::string> provenance_tags(const Provenance& p);

/// Writes provenance.json atomically into p.run_dir, credentials removed from
/// the config text, the error and the environment (redact()).
void write_provenance(const Provenance& p);

}  // namespace itwin::track
