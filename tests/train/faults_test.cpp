// Faults a cluster tool meets: a frozen rank, a killed launcher, two runs
// racing for one directory, a command that leaves a child behind, a full disk.
#include <signal.h>
#include <sys/resource.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "../helpers.hpp"

using namespace itwin::test;
using Catch::Matchers::Contains;
namespace fs = std::filesystem;

namespace {

std::string long_pipeline(int epochs = 1000) {
  return "run: {threads: 1}\n"
         "pipelines:\n  training:\n    steps:\n"
         "      - {name: data, type: dataset, format: synthetic, synthetic: {samples: 20000}}\n"
         "      - {name: model, type: model, arch: mlp, hidden: [64]}\n"
         "      - {name: train, type: trainer, epochs: " +
         std::to_string(epochs) + ", checkpoint: {every: 0}}\n";
}

// The pid a rank's log names ("rank R of N ..., pid P, host ...").
long rank_pid(const std::string& run_dir, int rank) {
  std::ifstream in(run_dir + "/logs/rank-" + std::to_string(rank) + ".log");
  std::string text((std::istreambuf_iterator<char>(in)), {});
  auto p = text.find(", pid ");
  if (p == std::string::npos || text.find(", host", p) == std::string::npos) return 0;
  return std::atol(text.c_str() + p + 6);
}

bool alive(long pid) { return pid > 0 && kill(static_cast<pid_t>(pid), 0) == 0; }

}  // namespace

TEST_CASE("faults: a frozen rank ends an mpi job within its timeout, naming the rank",
          "[faults][distributed]") {
  TempDir d;
  std::string cfg = d.write("p.yaml", long_pipeline());
  const std::string dir = d.path() + "/run";
  auto job = start_background({itwin_bin(), "train", cfg, "--nproc", "2", "--run-dir", dir, "--set",
                               "distributed.backend=mpi", "--set", "distributed.timeout=8"},
                              d.path() + "/job.log");
  long victim = 0;
  REQUIRE(wait_until([&] { return (victim = rank_pid(dir, 1)) > 0; }, 60));
  REQUIRE(wait_until(
      [&] {
        return fs::exists(dir + "/metrics.jsonl") && fs::file_size(dir + "/metrics.jsonl") > 0;
      },
      60));
  auto t0 = std::chrono::steady_clock::now();
  REQUIRE(kill(static_cast<pid_t>(victim), SIGSTOP) == 0);
  int code = job.wait(90);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  kill(static_cast<pid_t>(victim), SIGKILL);
  INFO(job.output() << "\nended " << secs << " s after the freeze");
  CHECK(code != 0);
  CHECK(code != -1);  // it ended by itself
  CHECK(secs < 60);
  CHECK_THAT(job.output(), Contains("rank(s) 1 stopped answering"));
  // Said last by the launcher, whether or not mpirun passed rank 0's line on. The
  // status is MPI_Abort's 1, or 139 where Open MPI 4.1's mpirun itself crashes
  // while it aborts a job with a stopped rank (seen once in pmix_server_log_fn).
  CHECK_THAT(job.output(), Contains("the job failed with status ") && Contains(": mpi ") &&
                               Contains("timed out on rank 0/2 after 8 s (distributed.timeout): "
                                        "rank(s) 1 stopped answering (run " +
                                        dir));
}

TEST_CASE("faults: killing itwin's launcher takes its ranks with it", "[faults][distributed]") {
  TempDir d;
  std::string cfg = d.write("p.yaml", long_pipeline());
  for (const char* backend : {"gloo", "mpi"}) {
    INFO(backend);
    const std::string dir = d.path() + "/" + backend;
    auto job = start_background({itwin_bin(), "train", cfg, "--nproc", "2", "--run-dir", dir,
                                 "--set", std::string("distributed.backend=") + backend},
                                dir + ".log");
    long r1 = 0;
    REQUIRE(wait_until([&] { return (r1 = rank_pid(dir, 1)) > 0; }, 60));
    REQUIRE(wait_until([&] { return fs::exists(dir + "/summary.json"); }, 60));
    kill(job.pid, SIGKILL);
    job.wait(10);
    CHECK(wait_until([&] { return !alive(r1); }, 20));  // no orphan rank keeps running
  }
}

TEST_CASE(
    "faults: two runs started at once into one directory: one runs, the other touches nothing",
    "[faults]") {
  TempDir d;
  std::string cfg = d.write("p.yaml", long_pipeline(3));
  const std::string dir = d.path() + "/run";
  auto a = start_background({itwin_bin(), "train", cfg, "--run-dir", dir}, d.path() + "/a.log");
  auto b = start_background({itwin_bin(), "train", cfg, "--run-dir", dir}, d.path() + "/b.log");
  int ca = a.wait(120), cb = b.wait(120);
  INFO("a: " << a.output() << "\nb: " << b.output());
  CHECK(((ca == 0 && cb == 2) || (ca == 2 && cb == 0)));
  const std::string loser = ca == 2 ? a.output() : b.output();
  CHECK((loser.find("already holds a run") != std::string::npos ||
         loser.find("in use by another itwin") != std::string::npos));
  // One run's metrics, each epoch once.
  std::ifstream in(dir + "/metrics.jsonl");
  int epochs = 0;
  for (std::string line; std::getline(in, line);)
    epochs += line.find("\"epoch_time_s\":") != std::string::npos;
  CHECK(epochs == 3);
}

TEST_CASE("faults: a command step ends when its process ends, and takes what it left running",
          "[faults][pipeline]") {
  TempDir d;
  std::string cfg =
      d.write("p.yaml",
              "pipelines:\n  prep:\n    steps:\n"
              "      - {name: bg, type: command, shell: 'sleep 300 & echo started'}\n");
  auto t0 = std::chrono::steady_clock::now();
  auto r = run_shell(itwin_bin() + " run " + cfg + " --run-dir " + d.path() + "/r | cat",
                     60);  // a pipe, as in CI logs
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  INFO(r.out);
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.out, Contains("started"));
  CHECK(secs < 30);
}

TEST_CASE("faults: a full disk is a clean error: exit 1, summary FAILED, no temp files",
          "[faults]") {
  TempDir d;
  std::string cfg = d.write("p.yaml",
                            "run: {threads: 1}\n"
                            "pipelines:\n  training:\n    steps:\n"
                            "      - {name: data, type: dataset, format: synthetic, synthetic: "
                            "{samples: 2000, features: 512}}\n"
                            "      - {name: model, type: model, arch: mlp, hidden: [2048, 2048]}\n"
                            "      - {name: train, type: trainer, epochs: 2, max_steps: 2}\n");
  // Files may grow to 4 MiB (RLIMIT_FSIZE), far less than a checkpoint of this model:
  // writes then fail with EFBIG as on a full disk (SIGXFSZ ignored, as itwin does).
  const std::string dir = d.path() + "/run";
  auto r = run_shell("ulimit -f 4096; " + itwin_bin() + " train " + cfg + " --run-dir " + dir, 120);
  INFO(r.out);
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.out, Contains("cannot write checkpoint"));
  CHECK_THAT(r.out, !Contains("terminate called"));
  std::ifstream in(dir + "/summary.json");
  auto summary = nlohmann::json::parse(in, nullptr, false);
  REQUIRE_FALSE(summary.is_discarded());
  CHECK(summary["status"] == "FAILED");
  int temps = 0;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    const std::string n = e.path().filename().string();
    temps += n.rfind(".tmp", 0) == 0 || n.find(".tmp.") != std::string::npos;
  }
  CHECK(temps == 0);
}
