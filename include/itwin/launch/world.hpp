#pragma once
/// Where this process stands in its job: rank, world size, local rank, from
/// whichever launcher started it. The one place that reads launcher
/// environments (OpenMPI, SLURM srun, PMIx, torchrun, itwin's own --nproc).

#include <string>
#include <vector>

namespace itwin::launch {

struct World {
  int rank = 0;
  int world = 1;
  int local_rank = 0;
  int local_world = 1;
  std::string launcher = "none";  ///< none | itwin | mpirun | srun | pmix | torchrun
  std::string rendezvous;         ///< a default for gloo/nccl, when the launcher gives one
};

/// Reads the environment. Precedence: itwin's ITWIN_* (--nproc), OpenMPI's
/// OMPI_COMM_WORLD_*, torchrun's RANK/WORLD_SIZE, SLURM's SLURM_PROCID (in a
/// step), PMIx's PMIX_RANK. Malformed values are errors naming the variable.
World detect_world();

/// "2(x3),1" -> {2, 2, 2, 1} (SLURM_TASKS_PER_NODE and friends).
std::vector<int> expand_tasks_per_node(const std::string& s);

/// The first host of a SLURM host list: "n[01-04],m2" -> "n01".
std::string first_host(const std::string& nodelist);

}  // namespace itwin::launch
