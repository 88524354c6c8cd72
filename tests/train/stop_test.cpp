// Stop requests (SIGTERM, SIGUSR1, SIGINT, SIGHUP) at every step count, in
// every phase, on one and several ranks: the run ends with a checkpoint to
// resume from (exit 75; 130 for Ctrl-C), and --resume finishes it.
#include <signal.h>
#include <sys/types.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "../helpers.hpp"

using namespace itwin::test;
using Catch::Matchers::Contains;
namespace fs = std::filesystem;

namespace {

// Many short epochs of `steps` steps each: a signal lands in some phase of some epoch.
std::string pipeline(int steps, int epochs, const std::string& extra = "") {
  return "run: {seed: 3, threads: 1}\n"
         "pipelines:\n  training:\n    steps:\n"
         "      - {name: data, type: dataset, format: synthetic, synthetic: {samples: " +
         std::to_string(64 * steps + 400) +
         ", features: 32}, split: {validation: 400}}\n"
         "      - {name: model, type: model, arch: mlp, hidden: [64]}\n"
         "      - {name: train, type: trainer, epochs: " +
         std::to_string(epochs) + ", batch_size: 64, max_steps: " + std::to_string(steps) + extra +
         "}\n";
}

// pipeline() with default run naming: run.name r under `root`.
std::string named_pipeline(const std::string& root, int steps, int epochs) {
  std::string text = pipeline(steps, epochs);
  const std::string run = "run: {seed: 3, threads: 1";
  text.insert(run.size(), ", name: r, root: " + root);
  return text;
}

nlohmann::json summary(const std::string& dir) {
  std::ifstream in(dir + "/summary.json");
  return nlohmann::json::parse(in, nullptr, false);
}

int epochs_logged(const std::string& dir) {
  std::ifstream in(dir + "/metrics.jsonl");
  int n = 0;
  for (std::string line; std::getline(in, line);)
    n += line.find("\"epoch_time_s\"") != std::string::npos;
  return n;
}

// Starts a training, waits until `ready` epochs are logged, sends `sig` to it.
int stop_after(const std::string& cfg, const std::string& dir, int ready, int sig,
               const std::vector<std::string>& extra = {}) {
  std::vector<std::string> argv = {itwin_bin(), "train", cfg, "--run-dir", dir};
  argv.insert(argv.end(), extra.begin(), extra.end());
  auto p = start_background(argv, dir + ".log");
  bool running = wait_until([&] { return epochs_logged(dir) >= ready; }, 120);
  INFO(p.output());
  REQUIRE(running);
  kill(p.pid, sig);
  int code = p.wait(120);
  INFO(p.output());
  return code;
}

}  // namespace

TEST_CASE("stop: SIGTERM at every step count checkpoints, exits 75, and resumes to the end",
          "[stop]") {
  TempDir d;
  for (int steps : {1, 2, 3, 11}) {
    INFO("steps per epoch " << steps);
    std::string cfg = d.write("p" + std::to_string(steps) + ".yaml", pipeline(steps, 150));
    std::string dir = d.path() + "/run-" + std::to_string(steps);
    CHECK(stop_after(cfg, dir, 2, SIGTERM) == 75);
    auto s = summary(dir);
    CHECK(s["status"] == "KILLED");
    CHECK_THAT(s["error"].get<std::string>(), Contains("stopped by signal 15"));
    REQUIRE(fs::exists(dir + "/checkpoints"));
    int logged = epochs_logged(dir);
    auto resumed = run_shell(itwin_bin() + " train " + cfg + " --run-dir " + dir + " --resume");
    INFO(resumed.out);
    CHECK(resumed.exit_code == 0);
    CHECK(summary(dir)["status"] == "FINISHED");
    CHECK(epochs_logged(dir) == 150);  // every epoch once: none lost, none twice
    CHECK(logged <= 150);
  }
}

TEST_CASE("stop: SIGINT exits 130, SIGHUP and SIGUSR1 exit 75, each with a checkpoint", "[stop]") {
  TempDir d;
  std::string cfg = d.write("p.yaml", pipeline(3, 150));
  for (auto [sig, code] :
       std::vector<std::pair<int, int>>{{SIGINT, 130}, {SIGHUP, 75}, {SIGUSR1, 75}}) {
    std::string dir = d.path() + "/run-" + std::to_string(sig);
    INFO("signal " << sig);
    CHECK(stop_after(cfg, dir, 1, sig) == code);
    CHECK(summary(dir)["status"] == "KILLED");
    CHECK(fs::exists(dir + "/checkpoints"));
  }
}

TEST_CASE(
    "stop: a stop during a command step or before training ends the run at once, nothing half-done",
    "[stop]") {
  TempDir d;
  // The command (rank 0's child) asks its parent, itwin, to stop while it runs.
  std::string cfg =
      d.write("cmd.yaml",
              "pipelines:\n  training:\n    steps:\n"
              "      - {name: hint, type: command, shell: 'kill -TERM $PPID; sleep 30'}\n"
              "      - {name: data, type: dataset, format: synthetic}\n"
              "      - {name: model, type: model, arch: mlp}\n"
              "      - {name: train, type: trainer, epochs: 2}\n");
  auto t0 = std::chrono::steady_clock::now();
  auto r = run_shell(itwin_bin() + " train " + cfg + " --run-dir " + d.path() + "/c");
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  INFO(r.out);
  CHECK(r.exit_code == 75);
  CHECK_THAT(r.out, Contains("stopped by signal 15"));
  CHECK(secs < 20);                                   // the command's sleep was stopped with it
  CHECK_FALSE(fs::exists(d.path() + "/c/model.pt"));  // nothing trained
  // Resuming a run that never wrote a checkpoint starts it from the beginning, and says so.
  std::string plain = d.write("plain.yaml", pipeline(2, 3));
  auto first =
      run_shell(itwin_bin() + " train " + plain + " --run-dir " + d.path() + "/p --resume");
  INFO(first.out);
  CHECK(first.exit_code == 2);  // nothing to resume at all: a typo in the path?
  fs::create_directories(d.path() + "/p");
  std::ofstream(d.path() + "/p/summary.json") << "{\"status\": \"KILLED\"}\n";
  auto fresh =
      run_shell(itwin_bin() + " train " + plain + " --run-dir " + d.path() + "/p --resume");
  INFO(fresh.out);
  CHECK(fresh.exit_code == 0);
  CHECK_THAT(fresh.out, Contains("no checkpoint in"));
  CHECK_THAT(fresh.out, Contains("training starts from the beginning"));
  CHECK(epochs_logged(d.path() + "/p") == 3);
}

TEST_CASE("stop: several ranks stop together, through itwin's launcher and mpirun",
          "[stop][distributed]") {
  TempDir d;
  std::string cfg = d.write("p.yaml", pipeline(4, 150));
  for (const char* backend : {"gloo", "mpi"}) {
    for (auto [sig, code] : std::vector<std::pair<int, int>>{{SIGTERM, 75}, {SIGINT, 130}}) {
      std::string dir = d.path() + "/" + backend + "-" + std::to_string(sig);
      INFO(backend << ", signal " << sig);
      CHECK(stop_after(cfg, dir, 2, sig,
                       {"--nproc", "2", "--set", std::string("distributed.backend=") + backend}) ==
            code);
      CHECK(summary(dir)["status"] == "KILLED");
      auto resumed = run_shell(itwin_bin() + " train " + cfg + " --nproc 2 --run-dir " + dir +
                               " --resume --set distributed.backend=" + backend);
      INFO(resumed.out);
      CHECK(resumed.exit_code == 0);
      CHECK(epochs_logged(dir) == 150);
    }
  }
}

TEST_CASE(
    "stop: --resume without --run-dir continues the newest run of the name, saying what changed",
    "[stop]") {
  TempDir d;
  const std::string cfg = d.write("p.yaml", named_pipeline(d.path() + "/runs", 5, 2));
  // runs/r finished; runs/r.1 paused after epoch 1 (a checkpoint, like a stopped run).
  auto first = run_shell(itwin_bin() + " train " + cfg);
  REQUIRE(first.exit_code == 0);
  auto paused = run_shell(itwin_bin() + " train " + cfg + " --until-epoch 1");
  INFO(paused.out);
  REQUIRE(paused.exit_code == 0);
  REQUIRE(summary(d.path() + "/runs/r.1")["status"] == "PAUSED");
  auto resumed = run_shell(itwin_bin() + " train " + cfg +
                           " --resume --set pipelines.training.steps.train.epochs=3");
  INFO(resumed.out);
  REQUIRE(resumed.exit_code == 0);
  CHECK_THAT(resumed.out, Contains("-> " + d.path() + "/runs/r.1 ("));
  CHECK_THAT(resumed.out, Contains("resuming " + d.path() +
                                   "/runs/r.1 with a changed config: train.epochs 2 -> 3"));
  CHECK(summary(d.path() + "/runs/r.1")["epochs"] == 3);
  CHECK(summary(d.path() + "/runs/r")["epochs"] == 2);  // the older run is left as it was
  CHECK_FALSE(fs::exists(d.path() + "/runs/r.2"));
}

TEST_CASE("run directory: <name>.latest follows the newest finished run; runs list skips it",
          "[stop]") {
  TempDir d;
  const std::string cfg = d.write("p.yaml", named_pipeline(d.path() + "/runs", 5, 1));
  const std::string latest = d.path() + "/runs/r.latest";
  REQUIRE(run_shell(itwin_bin() + " train " + cfg).exit_code == 0);
  CHECK(fs::read_symlink(latest) == "r");
  REQUIRE(run_shell(itwin_bin() + " train " + cfg).exit_code == 0);
  CHECK(fs::read_symlink(latest) == "r.1");
  // A run that did not finish (paused here; failed alike) leaves it where it was.
  auto paused = run_shell(itwin_bin() + " train " + cfg +
                          " --until-epoch 1 --set pipelines.training.steps.train.epochs=2");
  INFO(paused.out);
  REQUIRE(summary(d.path() + "/runs/r.2")["status"] == "PAUSED");
  CHECK(fs::read_symlink(latest) == "r.1");
  // A run with an explicit --run-dir does not touch it.
  REQUIRE(run_shell(itwin_bin() + " train " + cfg + " --run-dir " + d.path() + "/runs/other")
              .exit_code == 0);
  CHECK(fs::read_symlink(latest) == "r.1");
  auto list = run_shell(itwin_bin() + " runs list " + d.path() + "/runs --json");
  INFO(list.out);
  auto runs = nlohmann::json::parse(list.out, nullptr, false);
  REQUIRE(runs.is_array());
  CHECK(runs.size() == 4);  // r, r.1, r.2, other: not r.latest again
}
