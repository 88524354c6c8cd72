// The trial zygote end to end (hpo/zygote.hpp): the built binary, real
// forks, real signals. The kill -9 of a trial and the SIGTERM/SIGKILL of the
// controller run through the zygote in cli_test.cpp (fork is the default).
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>

#include "../helpers.hpp"

namespace fs = std::filesystem;
using namespace itwin::test;
using Catch::Contains;
using json = nlohmann::json;

namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), {});
}

std::vector<json> lines(const std::string& path) {
  std::vector<json> out;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) out.push_back(json::parse(line));
  return out;
}

// A csv data set (decoded by the zygote once: synthetic data is not kept)
// and a study of `trials` trials over it; `hpo` adds keys to hpo:.
std::string csv_study(TempDir& d, int trials, int epochs, const std::string& hpo,
                      const std::string& run = "") {
  std::string csv = "a,b,c,y\n";
  for (int i = 0; i < 2000; ++i) {
    const double a = (i % 17) * 0.1, b = (i % 5) * 0.3 - 0.5, c = (i % 11) * 0.05;
    csv += std::to_string(a) + "," + std::to_string(b) + "," + std::to_string(c) + "," +
           std::to_string((a + b > 0.8) + (c > 0.3)) + "\n";
  }
  std::string data = d.write("data.csv", csv);
  return d.write("hpo.yaml",
                 "run: {name: z, root: " + d.path() + "/runs, seed: 5" + run +
                     "}\n"
                     "pipelines:\n  training:\n    steps:\n"
                     "      - {name: data, type: dataset, format: csv, path: " +
                     data +
                     ", targets: [y], normalize: standard}\n"
                     "      - {name: model, type: model, arch: mlp, hidden: [16], dropout: 0.1}\n"
                     "      - {name: train, type: trainer, epochs: " +
                     std::to_string(epochs) +
                     ", batch_size: 32, optimizer: {name: sgd, lr: 0.05, momentum: 0.9}}\n"
                     "hpo:\n  trials: " +
                     std::to_string(trials) + "\n  sampler: random\n" + hpo +
                     "  space:\n"
                     "    pipelines.training.steps.train.optimizer.lr: {type: loguniform, low: "
                     "0.001, high: 0.3}\n"
                     "    pipelines.training.steps.model.dropout: {type: uniform, low: 0.0, high: "
                     "0.4}\n");
}

// Epoch lines of a trial's metrics.jsonl: epoch -> the line.
std::map<int64_t, json> epochs_of(const std::string& run_dir) {
  std::map<int64_t, json> out;
  for (auto& j : lines(run_dir + "/metrics.jsonl"))
    if (j.contains("train_loss") && !out.count(j["epoch"].get<int64_t>()))
      out[j["epoch"].get<int64_t>()] = j;
  return out;
}

}  // namespace

TEST_CASE("hpo zygote: a seeded study forked from the zygote equals the same study exec'd",
          "[hpo][e2e][zygote]") {
  TempDir d;
  // ASHA: segments pause at rungs and continue from their checkpoints.
  std::string cfg = csv_study(d, 4, 4,
                              "  concurrency: 1\n  scheduler: {name: asha, grace_period: 1, "
                              "reduction_factor: 2}\n");
  const std::string fork_dir = d.path() + "/fork", exec_dir = d.path() + "/exec";
  auto f = run_shell(itwin_bin() + " hpo " + cfg + " --study-dir " + fork_dir);
  INFO(f.out);
  REQUIRE(f.exit_code == 0);
  CHECK_THAT(f.out, Contains("local processes forked from a trial zygote"));
  CHECK_THAT(f.out, Contains("ready in"));
  CHECK_THAT(slurp(fork_dir + "/logs/zygote.log"), Contains("1 data set(s) decoded"));
  CHECK_THAT(slurp(fork_dir + "/logs/trial-0000.log"),
             Contains("decoded once by the hpo trial zygote"));
  auto e = run_shell(itwin_bin() + " hpo " + cfg + " --study-dir " + exec_dir +
                     " --set hpo.isolation=exec");
  INFO(e.out);
  REQUIRE(e.exit_code == 0);
  CHECK_THAT(e.out, !Contains("zygote"));
  CHECK_FALSE(fs::exists(exec_dir + "/logs/zygote.log"));
  int continued = 0;
  for (int t = 0; t < 4; ++t) {
    char id[8];
    std::snprintf(id, sizeof id, "%04d", t);
    const std::string a = fork_dir + "/trials/" + id, b = exec_dir + "/trials/" + id;
    INFO("trial " << t);
    auto ea = epochs_of(a), eb = epochs_of(b);
    REQUIRE(ea.size() == eb.size());
    REQUIRE_FALSE(ea.empty());
    for (const auto& [epoch, line] : ea) {
      for (const char* k : {"train_loss", "val_loss", "val_accuracy"})
        CHECK(line[k].get<double>() == eb[epoch][k].get<double>());  // bit for bit
    }
    CHECK(slurp(a + "/model.pt") == slurp(b + "/model.pt"));
    continued += ea.size() > 1;
  }
  CHECK(continued >= 1);  // a segment resumed from its checkpoint in both
}

TEST_CASE("hpo zygote: a forked trial of 2 threads trains", "[hpo][e2e][zygote]") {
  TempDir d;
  std::string cfg = csv_study(d, 1, 2, "", ", threads: 2");
  auto r = run_shell(itwin_bin() + " hpo " + cfg, 300);
  INFO(r.out);
  REQUIRE(r.exit_code == 0);  // not 124: the 2 OpenMP threads after the fork did not hang
  CHECK_THAT(r.out, Contains("forked from a trial zygote"));
  auto sum = json::parse(slurp(d.path() + "/runs/z-hpo/trials/0000/summary.json"));
  CHECK(sum["threads"] == 2);
  CHECK(sum["status"] == "FINISHED");
  CHECK(sum["epochs"] == 2);
}

TEST_CASE("hpo zygote: kill -9 of the zygote: its trials checkpoint and resume, the study ends",
          "[hpo][e2e][zygote]") {
  TempDir d;
  // 300 cheap epochs (~5 s): trial 0 must still run when the journal shows
  // its first result (read every 0.5 s) and the zygote is killed.
  constexpr int kEpochs = 300;
  std::string cfg = csv_study(d, 2, kEpochs, "  concurrency: 1\n");
  const std::string dir = d.path() + "/runs/z-hpo", log = d.path() + "/out.log";
  std::fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    if (!freopen(log.c_str(), "w", stdout) || !freopen(log.c_str(), "a", stderr)) _exit(126);
    execl(itwin_bin().c_str(), "itwin", "hpo", cfg.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  // The zygote's pid from the controller's line, once trial 0 reported an epoch.
  const std::regex ready("trial zygote ([0-9]+) ready");
  pid_t zygote = 0;
  REQUIRE(wait_until(
      [&] {
        std::smatch m;
        std::string out = slurp(log);
        if (std::regex_search(out, m, ready)) zygote = std::stoi(m[1]);
        for (auto& e : lines(dir + "/journal.jsonl"))
          if (e["event"] == "result" && e["trial"] == 0) return zygote > 0;
        return false;
      },
      120));
  REQUIRE(kill(zygote, SIGKILL) == 0);
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  const std::string out = slurp(log);
  INFO(out);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  CHECK_THAT(out, Contains("trial zygote " + std::to_string(zygote) + " died"));
  std::vector<std::string> kinds;
  for (auto& e : lines(dir + "/journal.jsonl")) {
    if (e["event"] == "start" && e["trial"] == 0) kinds.push_back(e["kind"]);
    if (e["event"] == "end" && e["trial"] == 0 && kinds.size() == 1) {
      CHECK(e["status"] == "INTERRUPTED");  // stopped with a checkpoint, not FAILED
      CHECK(e["exit"] == 75);
    }
  }
  CHECK(kinds == std::vector<std::string>{"new", "resume"});
  auto show = run_shell(itwin_bin() + " hpo show " + dir + " --json");
  REQUIRE(show.exit_code == 0);
  const json study = json::parse(show.out);  // named: a loop over a temporary's member dangles
  for (const auto& t : study["trials"]) CHECK(t["status"] == "COMPLETED");
  // Every epoch of trial 0 trained once: the resume continued where it stopped.
  auto epochs = epochs_of(dir + "/trials/0000");
  CHECK(epochs.size() == kEpochs);
  CHECK(epochs.rbegin()->first == kEpochs);
}
