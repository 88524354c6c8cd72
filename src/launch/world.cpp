#include "itwin/launch/world.hpp"

#include <cerrno>
#include <cstdlib>

#include "itwin/util/error.hpp"
#include "itwin/util/strings.hpp"

namespace itwin::launch {
namespace {

const char* env(const char* name) {
  const char* v = std::getenv(name);
  return (v && *v) ? v : nullptr;
}

int env_int(const char* name, int def) {
  const char* v = env(name);
  if (!v) return def;
  char* end = nullptr;
  errno = 0;
  long x = std::strtol(v, &end, 10);
  if (*end != '\0' || errno != 0 || x < 0 || x > 1 << 24) {
    throw RuntimeError(std::string("environment variable ") + name + "='" + v +
                       "' is not a valid rank or size");
  }
  return static_cast<int>(x);
}

void check(const World& w) {
  if (w.world < 1 || w.rank >= w.world || w.local_rank >= w.local_world ||
      w.local_world > w.world) {
    throw RuntimeError("inconsistent launch environment (" + w.launcher + "): rank " +
                       std::to_string(w.rank) + " of " + std::to_string(w.world) + ", local rank " +
                       std::to_string(w.local_rank) + " of " + std::to_string(w.local_world));
  }
}

std::string tcp_from_master() {
  const char* addr = env("MASTER_ADDR");
  const char* port = env("MASTER_PORT");
  return (addr && port) ? std::string("tcp:") + addr + ":" + port : "";
}

}  // namespace

std::vector<int> expand_tasks_per_node(const std::string& s) {
  std::vector<int> out;
  for (const auto& part : split(s, ',')) {
    auto p = part.find("(x");
    int n = std::atoi(part.substr(0, p).c_str());
    int reps = p == std::string::npos ? 1 : std::atoi(part.substr(p + 2).c_str());
    for (int i = 0; i < reps; ++i) out.push_back(n);
  }
  return out;
}

std::string first_host(const std::string& nodelist) {
  auto br = nodelist.find('[');
  auto comma = nodelist.find(',');
  if (br == std::string::npos || (comma != std::string::npos && comma < br))
    return nodelist.substr(0, comma);
  std::string prefix = nodelist.substr(0, br);
  std::string range = nodelist.substr(br + 1, nodelist.find_first_of("-,]", br) - br - 1);
  return prefix + range;
}

World detect_world() {
  World w;
  if (env("ITWIN_RANK")) {
    w.launcher = "itwin";
    w.rank = env_int("ITWIN_RANK", 0);
    w.world = env_int("ITWIN_WORLD_SIZE", 1);
    w.local_rank = env_int("ITWIN_LOCAL_RANK", w.rank);
    w.local_world = env_int("ITWIN_LOCAL_WORLD_SIZE", w.world);
    if (const char* r = env("ITWIN_RENDEZVOUS")) w.rendezvous = r;
  } else if (env("OMPI_COMM_WORLD_RANK")) {
    w.launcher = "mpirun";
    w.rank = env_int("OMPI_COMM_WORLD_RANK", 0);
    w.world = env_int("OMPI_COMM_WORLD_SIZE", 1);
    w.local_rank = env_int("OMPI_COMM_WORLD_LOCAL_RANK", 0);
    w.local_world = env_int("OMPI_COMM_WORLD_LOCAL_SIZE", 1);
    w.rendezvous = tcp_from_master();
  } else if (env("RANK") && env("WORLD_SIZE") &&
             (env("TORCHELASTIC_RUN_ID") || env("MASTER_ADDR"))) {
    w.launcher = "torchrun";
    w.rank = env_int("RANK", 0);
    w.world = env_int("WORLD_SIZE", 1);
    w.local_rank = env_int("LOCAL_RANK", 0);
    w.local_world = env_int("LOCAL_WORLD_SIZE", w.world);
    w.rendezvous = tcp_from_master();
  } else if (env("SLURM_PROCID") && env("SLURM_STEP_ID")) {
    w.launcher = env("PMIX_RANK") ? "pmix" : "srun";
    w.rank = env_int("SLURM_PROCID", 0);
    w.world = env_int("SLURM_STEP_NUM_TASKS", env_int("SLURM_NTASKS", 1));
    w.local_rank = env_int("SLURM_LOCALID", 0);
    auto per_node =
        expand_tasks_per_node(env("SLURM_STEP_TASKS_PER_NODE") ? env("SLURM_STEP_TASKS_PER_NODE")
                              : env("SLURM_TASKS_PER_NODE")    ? env("SLURM_TASKS_PER_NODE")
                                                               : "1");
    int node = env_int("SLURM_NODEID", 0);
    w.local_world =
        node < static_cast<int>(per_node.size()) ? per_node[static_cast<size_t>(node)] : 1;
    w.rendezvous = tcp_from_master();
    if (w.rendezvous.empty() && env("SLURM_STEP_NODELIST") && env("SLURM_JOB_ID")) {
      // The step id too: a study's concurrent trials are steps of one job, maybe on one host.
      const long port =
          (std::atol(env("SLURM_JOB_ID")) + 7919L * env_int("SLURM_STEP_ID", 0)) % 20000;
      w.rendezvous =
          "tcp:" + first_host(env("SLURM_STEP_NODELIST")) + ":" + std::to_string(20000 + port);
    }
  } else if (env("PMIX_RANK")) {
    w.launcher = "pmix";
    w.rank = env_int("PMIX_RANK", 0);
    w.world = env_int("PMIX_SIZE", env_int("SLURM_NTASKS", 1));
    w.local_world = w.world;
    w.local_rank = w.rank;
  }
  check(w);
  return w;
}

}  // namespace itwin::launch
