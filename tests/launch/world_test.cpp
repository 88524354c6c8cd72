#include "itwin/launch/world.hpp"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <map>

#include "itwin/launch/spawn.hpp"
#include "itwin/util/error.hpp"

using namespace itwin;
using Catch::Matchers::Contains;

namespace {
// Sets variables for one scope and clears every launcher variable around it.
struct Env {
  explicit Env(const std::map<std::string, std::string>& vars) {
    clear();
    for (const auto& [k, v] : vars) setenv(k.c_str(), v.c_str(), 1);
  }
  ~Env() { clear(); }
  static void clear() {
    for (const char* k : {"ITWIN_RANK",
                          "ITWIN_WORLD_SIZE",
                          "ITWIN_LOCAL_RANK",
                          "ITWIN_LOCAL_WORLD_SIZE",
                          "ITWIN_RENDEZVOUS",
                          "OMPI_COMM_WORLD_RANK",
                          "OMPI_COMM_WORLD_SIZE",
                          "OMPI_COMM_WORLD_LOCAL_RANK",
                          "OMPI_COMM_WORLD_LOCAL_SIZE",
                          "RANK",
                          "WORLD_SIZE",
                          "LOCAL_RANK",
                          "LOCAL_WORLD_SIZE",
                          "MASTER_ADDR",
                          "MASTER_PORT",
                          "TORCHELASTIC_RUN_ID",
                          "SLURM_PROCID",
                          "SLURM_STEP_ID",
                          "SLURM_NTASKS",
                          "SLURM_STEP_NUM_TASKS",
                          "SLURM_LOCALID",
                          "SLURM_NODEID",
                          "SLURM_STEP_TASKS_PER_NODE",
                          "SLURM_TASKS_PER_NODE",
                          "SLURM_STEP_NODELIST",
                          "SLURM_JOB_ID",
                          "PMIX_RANK",
                          "PMIX_SIZE"})
      unsetenv(k);
  }
};
}  // namespace

TEST_CASE("world: no launcher means a world of one", "[launch]") {
  Env e({});
  auto w = launch::detect_world();
  CHECK(w.world == 1);
  CHECK(w.launcher == "none");
}

TEST_CASE("world: OpenMPI, torchrun, itwin", "[launch]") {
  {
    Env e({{"OMPI_COMM_WORLD_RANK", "3"},
           {"OMPI_COMM_WORLD_SIZE", "8"},
           {"OMPI_COMM_WORLD_LOCAL_RANK", "1"},
           {"OMPI_COMM_WORLD_LOCAL_SIZE", "2"}});
    auto w = launch::detect_world();
    CHECK(w.launcher == "mpirun");
    CHECK((w.rank == 3 && w.world == 8 && w.local_rank == 1 && w.local_world == 2));
  }
  {
    Env e({{"RANK", "1"},
           {"WORLD_SIZE", "2"},
           {"LOCAL_RANK", "1"},
           {"MASTER_ADDR", "n1"},
           {"MASTER_PORT", "29500"}});
    auto w = launch::detect_world();
    CHECK(w.launcher == "torchrun");
    CHECK(w.rendezvous == "tcp:n1:29500");
  }
  {
    Env e({{"ITWIN_RANK", "0"}, {"ITWIN_WORLD_SIZE", "3"}, {"ITWIN_RENDEZVOUS", "file:/tmp/x"}});
    auto w = launch::detect_world();
    CHECK(w.launcher == "itwin");
    CHECK(w.world == 3);
    CHECK(w.rendezvous == "file:/tmp/x");
  }
}

TEST_CASE("world: SLURM steps and PMIx", "[launch]") {
  Env e({{"SLURM_PROCID", "5"},
         {"SLURM_STEP_ID", "0"},
         {"SLURM_STEP_NUM_TASKS", "7"},
         {"SLURM_LOCALID", "1"},
         {"SLURM_NODEID", "2"},
         {"SLURM_STEP_TASKS_PER_NODE", "2(x3),1"},
         {"SLURM_STEP_NODELIST", "gpu[07-10]"},
         {"SLURM_JOB_ID", "123456"},
         {"PMIX_RANK", "5"}});
  auto w = launch::detect_world();
  CHECK(w.launcher == "pmix");
  CHECK((w.rank == 5 && w.world == 7 && w.local_rank == 1 && w.local_world == 2));
  CHECK(w.rendezvous == "tcp:gpu07:23456");
}

TEST_CASE("world: malformed and inconsistent values are errors", "[launch]") {
  {
    Env e({{"OMPI_COMM_WORLD_RANK", "x"}, {"OMPI_COMM_WORLD_SIZE", "2"}});
    CHECK_THROWS_WITH(launch::detect_world(),
                      Contains("OMPI_COMM_WORLD_RANK='x' is not a valid rank"));
  }
  {
    Env e({{"OMPI_COMM_WORLD_RANK", "4"}, {"OMPI_COMM_WORLD_SIZE", "2"}});
    CHECK_THROWS_WITH(launch::detect_world(),
                      Contains("inconsistent launch environment (mpirun): rank 4 of 2"));
  }
}

TEST_CASE("world: SLURM list helpers", "[launch]") {
  CHECK(launch::expand_tasks_per_node("2(x3),1") == std::vector<int>{2, 2, 2, 1});
  CHECK(launch::expand_tasks_per_node("4") == std::vector<int>{4});
  CHECK(launch::first_host("n[01-04],m2") == "n01");
  CHECK(launch::first_host("a1,b2") == "a1");
  CHECK(launch::first_host("solo") == "solo");
}

TEST_CASE("spawn: the mpirun command line", "[launch]") {
  launch::SpawnOptions o;
  o.nproc = 3;
  o.args = {"train", "p.yaml", "--set", "a=b c"};
  auto cmd = launch::mpirun_command(o, "/opt/itwin");
  CHECK(cmd[0] == "mpirun");
  CHECK(cmd[2] == "3");
  CHECK(std::find(cmd.begin(), cmd.end(), "--oversubscribe") != cmd.end());
  CHECK(cmd[cmd.size() - 5] == "/opt/itwin");
  CHECK(cmd.back() == "a=b c");  // one argument, no shell in between
  // One host: shared memory, no UCX probing; unless the user chose.
  auto has = [](const std::vector<std::string>& c, const std::string& k, const std::string& v) {
    for (size_t i = 0; i + 2 < c.size(); ++i)
      if (c[i] == "--mca" && c[i + 1] == k && c[i + 2] == v) return true;
    return false;
  };
  unsetenv("OMPI_MCA_btl");
  CHECK(has(cmd, "pml", "ob1"));
  CHECK(has(launch::mpirun_command(o, "/opt/itwin"), "btl", "self,vader"));
  setenv("OMPI_MCA_btl", "self,tcp", 1);
  auto mine = launch::mpirun_command(o, "/opt/itwin");
  CHECK_FALSE(std::find(mine.begin(), mine.end(), "self,vader") != mine.end());
  unsetenv("OMPI_MCA_btl");
}
