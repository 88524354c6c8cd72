// `itwin hpo` end to end: the built binary on small synthetic studies
// (seconds per trial): real trial processes, real signals, real files.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "../helpers.hpp"
#include "../track/oracles.hpp"

namespace fs = std::filesystem;
using namespace itwin::test;
using Catch::Contains;
using json = nlohmann::json;

namespace {

// The kill tests' trials: many cheap epochs (~4 s a trial on a quiet 2-core
// machine, longer under load), so that a trial seen running after its first
// epoch is still running when the test acts on it. The journal learns of
// epochs only when the controller reads the trials' metrics (every 0.5 s),
// and trials start up to ~1 s apart: a trial much shorter than that (40 x
// 1000 samples, 0.3 s) could end before the journal showed two of them
// running at once.
constexpr int kLongEpochs = 60;
constexpr int kSmallSamples = 8000;

// A process's state letter from /proc (R, S, T stopped, Z zombie; 0: gone).
char process_state(int64_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), {});
  auto close = stat.rfind(')');
  return close == std::string::npos || close + 2 >= stat.size() ? 0 : stat[close + 2];
}

std::string trial_dir(const std::string& study_dir, int id) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d", id);
  return study_dir + "/trials/" + buf;
}

// A classification study: synthetic data, an mlp, `epochs` epochs; `hpo`
// is the body of the hpo: section (two-space indented).
std::string study(const std::string& root, const std::string& hpo, int epochs = 3,
                  int samples = 3000, const std::string& loggers = "") {
  return loggers + "run: {name: s, root: " + root +
         "}\n"
         "vars:\n  hidden: [32]\n"
         "pipelines:\n  training:\n    steps:\n"
         "      - {name: data, type: dataset, format: synthetic, synthetic: {samples: " +
         std::to_string(samples) +
         ", features: 16, classes: 4}}\n"
         "      - {name: model, type: model, arch: mlp, hidden: \"${hidden}\", dropout: 0.0}\n"
         "      - name: train\n        type: trainer\n        epochs: " +
         std::to_string(epochs) +
         "\n        batch_size: 32\n        optimizer: {name: sgd, lr: 0.1}\n"
         "hpo:\n" +
         hpo;
}

std::vector<json> journal(const std::string& dir) {
  std::vector<json> out;
  std::ifstream in(dir + "/journal.jsonl");
  std::string line;
  while (std::getline(in, line)) out.push_back(json::parse(line));
  return out;
}

std::vector<json> events(const std::string& dir, const std::string& kind) {
  std::vector<json> out;
  for (auto& e : journal(dir))
    if (e["event"] == kind) out.push_back(e);
  return out;
}

json show(const std::string& dir) {
  auto r = run_shell(itwin_bin() + " hpo show " + dir + " --json");
  INFO(r.out);
  REQUIRE(r.exit_code == 0);
  return json::parse(r.out);
}

json trial_of(const json& s, int id) {
  for (const auto& t : s["trials"])
    if (t["trial"] == id) return t;
  FAIL("no trial " << id);
  return {};
}

// Each epoch of each trial ran once: metrics.jsonl holds 1..n in order.
void check_epochs_once(const std::string& dir) {
  for (const auto& e : fs::directory_iterator(dir + "/trials")) {
    std::ifstream in(e.path() / "metrics.jsonl");
    std::string line;
    int64_t next = 1;
    while (std::getline(in, line)) {
      auto j = json::parse(line);
      // Epoch points only (not the final test_* point or the monitor's closing one).
      if (j.value("per_step", false) || !j.contains("train_loss")) continue;
      CHECK(j["epoch"].get<int64_t>() == next++);
    }
  }
}

// Starts `itwin hpo ARGS` in the background (output to `log`).
pid_t start_hpo(const std::vector<std::string>& args, const std::string& log) {
  std::fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    if (!freopen(log.c_str(), "w", stdout) || !freopen(log.c_str(), "a", stderr)) _exit(126);
    std::vector<char*> argv = {const_cast<char*>("itwin"), const_cast<char*>("hpo")};
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(itwin_bin().c_str(), argv.data());
    _exit(127);
  }
  return pid;
}

// Polls the journal until `ready` holds for it (or the controller ends).
bool wait_journal(const std::string& dir, pid_t pid,
                  const std::function<bool(const std::vector<json>&)>& ready) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (std::chrono::steady_clock::now() < deadline) {
    if (ready(journal(dir))) return true;
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // polling the journal file
  }
  return false;
}

// What the journal says of each trial: its segments' kinds, whether its
// last segment ended, whether it reported an epoch.
struct TrialLog {
  std::vector<std::string> starts;
  bool open = false;  ///< a segment started and not ended
  bool result = false;
  std::string status;  ///< of its last end
};

std::map<int, TrialLog> trial_logs(const std::vector<json>& ev) {
  std::map<int, TrialLog> out;
  for (const auto& e : ev) {
    if (!e.contains("trial")) continue;
    auto& t = out[e["trial"].get<int>()];
    if (e["event"] == "start") t.starts.push_back(e["kind"].get<std::string>()), t.open = true;
    if (e["event"] == "end") t.open = false, t.status = e["status"].get<std::string>();
    if (e["event"] == "result") t.result = true;
  }
  return out;
}

// Trials `ids` each run a segment (not ended) that has reported an epoch.
bool running_with_result(const std::vector<json>& ev, std::initializer_list<int> ids) {
  auto logs = trial_logs(ev);
  for (int id : ids)
    if (!logs.count(id) || !logs[id].open || !logs[id].result) return false;
  return true;
}

// The controller's output: its runner line says how trials start.
bool forked(const std::string& log) {
  std::ifstream in(log);
  std::string text((std::istreambuf_iterator<char>(in)), {});
  return text.find("local processes forked from a trial zygote") != std::string::npos;
}

int reap(pid_t pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace

TEST_CASE("hpo e2e: two concurrent one-rank trials; best.yaml trains to the best trial's value",
          "[hpo][e2e]") {
  TempDir d;
  std::string cfg =
      d.write("hpo.yaml", study(d.path() + "/runs",
                                "  trials: 4\n  seed: 3\n"
                                "  space:\n"
                                "    pipelines.training.steps.train.optimizer.lr: {type: "
                                "loguniform, low: 0.001, high: 0.5}\n"
                                "    vars.hidden: {type: choice, values: [[16], [32]]}\n"));
  auto r = run_shell(itwin_bin() + " hpo " + cfg + " --nproc 2");
  INFO(r.out);
  REQUIRE(r.exit_code == 0);
  const std::string dir = d.path() + "/runs/s-hpo";
  CHECK_THAT(r.out, Contains("starting study " + dir + ": 2 trial(s) at once, local processes"));
  CHECK_THAT(r.out, Contains("best: trial "));
  CHECK(events(dir, "session").at(0)["concurrency"] == 2);
  // Two trials overlapped: the second started before the first ended.
  auto ev = journal(dir);
  size_t start1 = 0, end0 = 0;
  for (size_t i = 0; i < ev.size(); ++i) {
    if (ev[i]["event"] == "start" && ev[i]["trial"] == 1) start1 = i;
    if (ev[i]["event"] == "end" && ev[i]["trial"] == 0 && !end0) end0 = i;
  }
  CHECK(start1 < end0);
  auto s = show(dir);
  REQUIRE(s["trials"].size() == 4);
  for (const auto& t : s["trials"]) {
    CHECK(t["status"] == "COMPLETED");
    CHECK(t["epochs"] == 3);
    CHECK(fs::exists(t["run_dir"].get<std::string>() + "/checkpoints"));
  }
  check_epochs_once(dir);
  // The plots come from gnuplot: a PNG and an SVG.
  std::ifstream png(dir + "/plot.png", std::ios::binary);
  std::string magic(8, '\0');
  png.read(&magic[0], 8);
  CHECK(magic.substr(1, 3) == "PNG");
  std::ifstream svg(dir + "/plot.svg");
  std::string text((std::istreambuf_iterator<char>(svg)), {});
  CHECK_THAT(text, Contains("<svg"));
  CHECK_THAT(text, Contains("gnuplot"));
  // best.yaml is the config with the best values, and trains as is to the same value.
  std::string best = dir + "/best.yaml";
  auto b = run_shell(itwin_bin() + " train " + best + " --run-dir " + d.path() + "/best");
  INFO(b.out);
  REQUIRE(b.exit_code == 0);
  std::ifstream sum(d.path() + "/best/summary.json");
  auto summary = json::parse(sum);
  CHECK(summary["metrics"]["val_loss"].get<double>() ==
        Approx(s["best"]["value"].get<double>()).epsilon(1e-9));
  auto again =
      run_shell(itwin_bin() + " hpo " + cfg + " --nproc 2");  // a complete study: only its results
  CHECK(again.exit_code == 0);
  CHECK_THAT(again.out, Contains("is complete"));
  CHECK(events(dir, "trial").size() == 4);
}

TEST_CASE(
    "hpo e2e: a diverging trial FAILS, the median rule stops one, the others finish; MLflow runs "
    "nest",
    "[hpo][e2e]") {
  TempDir d;
  std::string cfg =
      d.write("hpo.yaml", study(d.path() + "/runs",
                                "  sampler: grid\n  concurrency: 1\n"
                                "  scheduler: {name: median, grace_period: 1, min_trials: 2}\n"
                                "  space:\n"
                                "    pipelines.training.steps.train.optimizer.lr: {type: grid, "
                                "values: [0.3, 0.2, 1000000.0, 0.00001]}\n",
                                10, 30000, "loggers: [jsonl, {type: mlflow, experiment: tune}]\n"));
  auto r = run_shell(itwin_bin() + " hpo " + cfg);
  INFO(r.out);
  REQUIRE(r.exit_code == 0);
  const std::string dir = d.path() + "/runs/s-hpo";
  auto s = show(dir);
  CHECK(trial_of(s, 0)["status"] == "COMPLETED");
  CHECK(trial_of(s, 1)["status"] == "COMPLETED");
  auto nan = trial_of(s, 2);
  CHECK(nan["status"] == "FAILED");
  CHECK(nan["exit"] == 3);
  CHECK_THAT(nan["reason"].get<std::string>(), Contains("diverged (exit 3)"));
  auto slow = trial_of(s, 3);
  CHECK(slow["status"] == "STOPPED");
  CHECK(slow["epochs"].get<int>() < 10);
  CHECK_THAT(slow["reason"].get<std::string>(), Contains("median rule at epoch"));
  CHECK(s["best"]["trial"].get<int>() <= 1);
  // MLflow: one parent run for the study, each trial's run nested under it,
  // with its final status (FINISHED 3, FAILED 4, KILLED 5); none left RUNNING.
  std::string store = dir + "/mlruns";
  std::map<std::string, std::string> status_of_name;
  std::string parent;
  for (const auto& e : fs::directory_iterator(store)) {
    if (!e.is_directory()) continue;  // the store's lock file
    for (const auto& run : fs::directory_iterator(e.path())) {
      if (!fs::exists(run.path() / "meta.yaml")) continue;
      std::ifstream m(run.path() / "meta.yaml");
      std::string meta((std::istreambuf_iterator<char>(m)), {});
      std::ifstream n(run.path() / "tags/mlflow.runName");
      std::string name((std::istreambuf_iterator<char>(n)), {});
      status_of_name[name] = meta.substr(meta.find("\nstatus: ") + 9, 1);
      if (name == "s-hpo") parent = run.path().filename().string();
    }
  }
  INFO(json(status_of_name).dump());
  REQUIRE_FALSE(parent.empty());
  CHECK(status_of_name["s-hpo"] == "3");
  CHECK(status_of_name["s-trial-0000"] == "3");
  CHECK(status_of_name["s-trial-0002"] == "4");
  CHECK(status_of_name["s-trial-0003"] == "5");
  for (const auto& [name, st] : status_of_name) CHECK(st != "1");
  for (const auto& t : s["trials"]) {
    auto runs = json::parse(std::ifstream(t["run_dir"].get<std::string>() + "/tracked_runs.json"));
    auto id = runs.at(1)["run_id"].get<std::string>();
    auto exp = runs.at(1)["experiment"].get<std::string>();
    std::ifstream p(store + "/" + exp + "/" + id + "/tags/mlflow.parentRunId");
    std::string got((std::istreambuf_iterator<char>(p)), {});
    CHECK(got == parent);
  }
}

TEST_CASE("hpo e2e: a trial that loses its rank (kill -9) FAILS with its status, the study goes on",
          "[hpo][e2e]") {
  TempDir d;
  // 40 short epochs: the trial is still far from its end when it is killed,
  // however slow or fast the machine (the kill follows its first result).
  std::string cfg =
      d.write("hpo.yaml", study(d.path() + "/runs",
                                "  trials: 2\n  concurrency: 1\n"
                                "  space:\n    pipelines.training.steps.train.optimizer.lr: {type: "
                                "uniform, low: 0.05, high: 0.2}\n",
                                kLongEpochs, kSmallSamples));
  const std::string dir = d.path() + "/runs/s-hpo";
  pid_t pid = start_hpo({cfg}, d.path() + "/out.log");
  int64_t victim = 0;
  REQUIRE(wait_journal(dir, pid, [&](const std::vector<json>& ev) {
    for (const auto& e : ev)
      if (e["event"] == "running" && e["trial"] == 0) victim = e["pid"].get<int64_t>();
    return victim > 0 && running_with_result(ev, {0});
  }));
  // Stopped first, so that it is known to be alive (not ended, not a zombie) when it gets SIGKILL.
  REQUIRE(kill(static_cast<pid_t>(victim), SIGSTOP) == 0);
  REQUIRE(wait_until([&] { return process_state(victim) == 'T'; }, 30));
  REQUIRE(kill(static_cast<pid_t>(victim), SIGKILL) == 0);
  CHECK(reap(pid) == 0);
  CHECK(forked(d.path() + "/out.log"));  // the victim was a child of the trial zygote
  auto s = show(dir);
  auto t0 = trial_of(s, 0);
  CHECK(t0["status"] == "FAILED");
  CHECK(t0["exit"] == 137);
  CHECK(t0["epochs"].get<int>() < kLongEpochs);
  CHECK_THAT(t0["reason"].get<std::string>(), Contains("killed by signal 9"));
  CHECK(trial_of(s, 1)["status"] == "COMPLETED");
}

TEST_CASE(
    "hpo e2e: SIGKILL of the controller, then --resume: no trial duplicated or restarted from "
    "scratch",
    "[hpo][e2e]") {
  TempDir d;
  std::string cfg =
      d.write("hpo.yaml", study(d.path() + "/runs",
                                "  trials: 3\n"
                                "  space:\n    pipelines.training.steps.train.optimizer.lr: {type: "
                                "uniform, low: 0.05, high: 0.2}\n",
                                kLongEpochs, kSmallSamples));
  const std::string dir = d.path() + "/runs/s-hpo";
  pid_t pid = start_hpo({cfg, "--nproc", "2"}, d.path() + "/first.log");
  // Kill it once both running trials have finished an epoch (so each has a checkpoint).
  REQUIRE(wait_journal(dir, pid, [](const std::vector<json>& ev) {
    return running_with_result(ev, {0, 1});
  }));
  // The controller is stopped first: the journal read then is the journal at
  // the kill, and what --resume must do is derived from it, not assumed.
  REQUIRE(kill(pid, SIGSTOP) == 0);
  REQUIRE(wait_until([&] { return process_state(pid) == 'T'; }, 30));
  const auto at_kill = trial_logs(journal(dir));
  REQUIRE(kill(pid, SIGKILL) == 0);
  CHECK(reap(pid) == 128 + SIGKILL);
  CHECK(forked(d.path() + "/first.log"));
  auto r = run_shell(itwin_bin() + " hpo " + cfg + " --nproc 2 --resume");
  INFO(r.out);
  REQUIRE(r.exit_code == 0);
  auto s = show(dir);
  REQUIRE(s["trials"].size() == 3);
  for (const auto& t : s["trials"]) CHECK(t["status"] == "COMPLETED");
  const auto after = trial_logs(journal(dir));
  int resumed = 0;
  for (const auto& [t, log] : after) {
    INFO("trial " << t);
    CHECK(std::count(log.starts.begin(), log.starts.end(), "new") == 1);
    auto was = at_kill.find(t);
    if (was == at_kill.end() || was->second.starts.empty()) {
      CHECK(log.starts == std::vector<std::string>{"new"});  // not started: once, fresh
    } else if (!was->second.open) {
      CHECK(log.starts == was->second.starts);  // ended before the kill: never again
    } else {
      // Running at the kill: settled from its run directory, then resumed
      // once from its checkpoint (or not at all if it had just finished).
      const auto& before = was->second.starts;
      std::vector<std::string> added(log.starts.begin() + before.size(), log.starts.end());
      CHECK(added.size() <= 1);
      if (was->second.result && !added.empty()) CHECK(added[0] == "resume");
      // A trial that had reported an epoch had a checkpoint: it never starts again.
      if (was->second.result) CHECK(std::count(added.begin(), added.end(), "restart") == 0);
      if (!added.empty() && added[0] == "resume") {
        ++resumed;
        auto sum = json::parse(std::ifstream(trial_dir(dir, t) + "/summary.json"));
        CHECK(sum["resumed"] == true);
      }
    }
  }
  CHECK(resumed >= 1);  // the case this test is for happened
  check_epochs_once(dir);
  CHECK(events(dir, "session").size() == 2);
}

TEST_CASE(
    "hpo e2e: SIGTERM to the controller: trials checkpoint, it exits 75, the same command "
    "continues",
    "[hpo][e2e]") {
  TempDir d;
  std::string cfg =
      d.write("hpo.yaml", study(d.path() + "/runs",
                                "  trials: 2\n"
                                "  space:\n    pipelines.training.steps.train.optimizer.lr: {type: "
                                "uniform, low: 0.05, high: 0.2}\n",
                                kLongEpochs, kSmallSamples));
  const std::string dir = d.path() + "/runs/s-hpo";
  pid_t pid = start_hpo({cfg, "--nproc", "2"}, d.path() + "/first.log");
  REQUIRE(wait_journal(dir, pid, [](const std::vector<json>& ev) {
    return running_with_result(ev, {0, 1});
  }));
  REQUIRE(kill(pid, SIGTERM) == 0);
  CHECK(reap(pid) == 75);
  CHECK(forked(d.path() + "/first.log"));
  // The journal's signal event divides the segments: every one that ended
  // after it was stopped by it (checkpoint, INTERRUPTED), unless it had
  // reached its last epoch on its own meanwhile.
  bool signalled = false;
  int interrupted = 0;
  for (const auto& e : journal(dir)) {
    if (e["event"] == "signal") {
      CHECK(e["signal"] == SIGTERM);
      signalled = true;
    }
    if (e["event"] != "end" || !signalled) continue;
    INFO(e.dump());
    if (e["status"] == "INTERRUPTED") {
      ++interrupted;
      CHECK(e["exit"] == 75);
    } else {
      CHECK(e["status"] == "COMPLETED");
      CHECK(e["epochs"] == kLongEpochs);
    }
  }
  REQUIRE(signalled);
  CHECK(interrupted >= 1);
  auto r = run_shell(itwin_bin() + " hpo " + cfg + " --nproc 2");
  INFO(r.out);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Contains("continuing study"));
  const json s = show(dir);  // named: a loop over a member of a temporary would dangle
  for (const auto& t : s["trials"]) CHECK(t["status"] == "COMPLETED");
  for (const auto& [t, log] : trial_logs(journal(dir))) {
    INFO("trial " << t);
    CHECK(std::count(log.starts.begin(), log.starts.end(), "new") == 1);
    CHECK(std::count(log.starts.begin(), log.starts.end(), "restart") == 0);
  }
  check_epochs_once(dir);
}

TEST_CASE("hpo e2e: bad input exits 2 with file:line:col and starts nothing", "[hpo][e2e]") {
  TempDir d;
  const std::string lr = "    pipelines.training.steps.train.optimizer.lr: ";
  struct Case {
    std::string hpo, args, message;
  };
  std::vector<Case> cases = {
      {"  space:\n    pipelines.training.steps.train.optimizer.lrr: {type: uniform, low: 0.01, "
       "high: 0.1}\n",
       "", "hpo.yaml:16:5: hpo.space 'pipelines.training.steps.train.optimizer.lrr'"},
      {"  space:\n" + lr + "{type: uniform, low: 0.5, high: 0.1}\n", "",
       "'high' is below 'low': the range is reversed"},
      {"  space:\n" + lr + "{type: uniform, low: 0.1, high: 0.1}\n", "", "the range is empty"},
      {"  space:\n" + lr + "{type: loguniform, low: 0, high: 0.1}\n", "",
       "must be > 0 for a log scale"},
      {"  sampler: tpe\n  space:\n" + lr + "{type: grid, values: [0.1, 0.2]}\n", "",
       "the tpe sampler cannot use a grid parameter"},
      {"  ranks_per_trial: 2\n  space:\n" + lr + "{type: uniform, low: 0.01, high: 0.1}\n",
       " --nproc 1", "hpo.yaml:15:20: hpo: ranks_per_trial 2 is more than the 1 ranks available"},
      {"  metric: val_acc\n  space:\n" + lr + "{type: uniform, low: 0.01, high: 0.1}\n", "",
       "hpo.yaml:15:11: the pipeline file.hpo: 'metric' names 'val_acc', which pipeline 'training' "
       "never reports per epoch"},
  };
  for (const auto& c : cases) {
    INFO(c.hpo);
    std::string cfg = d.write("hpo.yaml", study(d.path() + "/runs", c.hpo));
    auto r = run_shell(itwin_bin() + " hpo " + cfg + c.args);
    INFO(r.out);
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.out, Contains(c.message));
    CHECK_THAT(r.out, !Contains("terminate"));
    CHECK_FALSE(fs::exists(d.path() + "/runs"));
  }
  auto none = run_shell(
      itwin_bin() + " hpo " +
      d.write(
          "plain.yaml",
          "pipelines:\n  p:\n    steps:\n      - {name: data, type: dataset, format: synthetic}\n"
          "      - {name: model, type: model, arch: mlp}\n      - {name: train, type: trainer}\n"));
  CHECK(none.exit_code == 2);
  CHECK_THAT(none.out, Contains("has no 'hpo:' section"));
  auto resume = run_shell(
      itwin_bin() + " hpo " +
      d.write("ok.yaml", study(d.path() + "/runs",
                               "  space:\n" + lr + "{type: uniform, low: 0.01, high: 0.1}\n")) +
      " --resume");
  CHECK(resume.exit_code == 2);
  CHECK_THAT(resume.out, Contains("no study in"));
  CHECK(run_shell(itwin_bin() + " hpo show " + d.path() + "/nothing").exit_code == 2);
}

TEST_CASE("hpo e2e: a dry run prints the plan and starts nothing", "[hpo][e2e]") {
  TempDir d;
  std::string cfg =
      d.write("hpo.yaml", study(d.path() + "/runs",
                                "  trials: 8\n  scheduler: {name: asha, reduction_factor: 2}\n"
                                "  space:\n    vars.hidden: {type: choice, values: [[8], [16]]}\n",
                                8));
  auto r = run_shell(itwin_bin() + " hpo " + cfg + " --nproc 4 --dry-run");
  INFO(r.out);
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.out, Contains("8 trials, 4 at once of 1 rank(s)"));
  CHECK_THAT(r.out, Contains("bracket 0: rungs at epochs 1, 2, 4, then 8"));
  CHECK_FALSE(fs::exists(d.path() + "/runs"));
}

TEST_CASE("hpo e2e: ASHA on 2 local ranks pauses trials at rungs and continues the best",
          "[hpo][e2e]") {
  TempDir d;
  std::string cfg =
      d.write("hpo.yaml", study(d.path() + "/runs",
                                "  trials: 6\n  seed: 1\n"
                                "  scheduler: {name: asha, grace_period: 1, reduction_factor: 2}\n"
                                "  space:\n    pipelines.training.steps.train.optimizer.lr: {type: "
                                "loguniform, low: 0.0005, high: 0.5}\n",
                                4));
  auto r = run_shell(itwin_bin() + " hpo " + cfg + " --nproc 2");
  INFO(r.out);
  REQUIRE(r.exit_code == 0);
  const std::string dir = d.path() + "/runs/s-hpo";
  CHECK_THAT(r.out, Contains("at rung 0 (epoch 1)"));
  CHECK_THAT(r.out, Contains("promote trial"));
  auto s = show(dir);
  int stopped = 0, completed = 0;
  for (const auto& t : s["trials"]) {
    if (t["status"] == "STOPPED") {
      ++stopped;
      CHECK(t["epochs"].get<int>() < 4);
    }
    if (t["status"] == "COMPLETED") {
      ++completed;
      CHECK(t["epochs"] == 4);
    }
  }
  CHECK(stopped >= 3);
  CHECK(completed >= 1);
  CHECK(trial_of(s, s["best"]["trial"].get<int>())["epochs"] == 4);
  for (const auto& e : events(dir, "start"))
    if (e["kind"] == "continue") CHECK(e["until"].get<int>() > 1);
  check_epochs_once(dir);
  auto b = run_shell(itwin_bin() + " train " + dir + "/best.yaml --run-dir " + d.path() + "/best");
  INFO(b.out);
  REQUIRE(b.exit_code == 0);
  auto summary = json::parse(std::ifstream(d.path() + "/best/summary.json"));
  CHECK(summary["metrics"]["val_loss"].get<double>() ==
        Approx(s["best"]["value"].get<double>()).epsilon(1e-9));
}

TEST_CASE("hpo submit: a study is one SLURM job, its allocation the pool of trials",
          "[hpo][submit]") {
  TempDir d;
  const std::string slurm = "slurm: {time: '00:30:00', cpus_per_task: 1}\n";
  const std::string space = "  space:\n    vars.hidden: {type: choice, values: [[8], [16]]}\n";
  std::string cfg = d.write(
      "hpo.yaml", study(d.path() + "/runs", "  ranks_per_trial: 2\n" + space, 3, 3000, slurm));
  // A hostile run root: it must reach the script quoted, never expanded.
  const std::string root = d.path() + "/my runs $(touch pwned)";
  const std::string submit = "cd " + d.path() + " && " + itwin_bin() + " submit ";
  auto r = run_shell(submit + cfg + " --command hpo --nodes 2 --ntasks-per-node 2 --run-root '" +
                     root + "' --dry-run --save job.sbatch");
  INFO(r.out);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Contains("#SBATCH --nodes=2\n#SBATCH --ntasks-per-node=2"));
  // The controller runs once, in the batch step: no launcher starts it on every rank.
  CHECK_THAT(r.out, !Contains("\nsrun ") && !Contains("\nmpirun "));
  const std::string exe = fs::canonical(itwin_bin()).string();  // submit names /proc/self/exe
  // The trials' steps get the job's launch settings (generic profile: pmix, cores).
  CHECK_THAT(r.out, Contains("export SRUN_CPUS_PER_TASK=1\nexport SLURM_MPI_TYPE=pmix\n"
                             "export SLURM_CPU_BIND=cores\n" +
                             exe + " hpo " + d.path() + "/slurm-logs/s-"));
  CHECK_THAT(r.out, Contains(".yaml --study-dir '" + root + "/s-'\"${SLURM_JOB_ID}\" &\n"));
  CHECK_FALSE(fs::exists(d.path() + "/slurm-logs"));  // a dry run writes no snapshot
  CHECK(run_shell("shellcheck -s bash " + d.path() + "/job.sbatch").exit_code == 0);
  // The script as SLURM would start it: the study command reaches itwin as
  // written (its snapshot is missing, as nothing was submitted), nothing expands.
  auto run = run_shell("cd " + d.path() +
                       " && SLURM_JOB_ID=7 SLURM_JOB_NUM_NODES=2 SLURM_NTASKS=4 bash job.sbatch");
  INFO(run.out);
  CHECK(run.exit_code == 2);
  CHECK_THAT(run.out, Contains("/slurm-logs/s-"));
  CHECK_THAT(run.out, Contains("ranks exited with status 2"));
  CHECK_FALSE(fs::exists(d.path() + "/pwned"));
  CHECK_FALSE(fs::exists(root + "/s-7"));

  // What the study would reject in the job is rejected here: exit 2, nothing written.
  struct Case {
    std::string file, args, message;
  };
  const std::vector<Case> cases = {
      {study(d.path() + "/runs", "  ranks_per_trial: 3\n" + space, 3, 3000, slurm),
       " --nodes 1 --ntasks-per-node 2",
       "hpo.yaml:16:20: hpo: ranks_per_trial 3 is more than the 2 ranks available"},
      {study(d.path() + "/runs", "  concurrency: 3\n" + space, 3, 3000, slurm),
       " --nodes 2 --ntasks-per-node 1", "concurrency 3 x ranks_per_trial 1 needs 3 ranks"},
      {study(d.path() + "/runs",
             "  space:\n    pipelines.training.steps.train.optimizer.lrr: {type: uniform, low: "
             "0.01, high: 0.1}\n",
             3, 3000, slurm),
       "", "hpo.space 'pipelines.training.steps.train.optimizer.lrr'"},
      {study(d.path() + "/runs", space, 3, 3000,
             "slurm: {time: '00:30:00', container: {image: /images/x.sif}}\n"),
       "", "a study (--command hpo) cannot run in a container yet"},
      {study(d.path() + "/runs", space, 3, 3000, slurm), " --steps data,train",
       "--pipeline and --steps do not apply"},
      {study(d.path() + "/runs", space, 3, 3000, slurm), " --scaling 1,2",
       "a study is one job; --scaling does not apply"},
      {slurm + "pipelines:\n  training:\n    steps:\n"
               "      - {name: data, type: dataset, format: synthetic}\n"
               "      - {name: model, type: model, arch: mlp}\n"
               "      - {name: train, type: trainer}\n",
       "", "has no 'hpo:' section"},
  };
  for (const auto& c : cases) {
    INFO(c.file << c.args);
    auto bad = run_shell(submit + d.write("hpo.yaml", c.file) + " --command hpo" + c.args);
    INFO(bad.out);
    CHECK(bad.exit_code == 2);
    CHECK_THAT(bad.out, Contains(c.message));
    CHECK_FALSE(fs::exists(d.path() + "/slurm-logs"));
    CHECK_FALSE(fs::exists(d.path() + "/runs"));
  }
}

TEST_CASE("hpo e2e: each trial's TensorBoard run is its own HParams session group",
          "[hpo][e2e][oracle]") {
  ORACLES_OR_SKIP();
  TempDir d;
  std::string cfg =
      d.write("hpo.yaml", study(d.path() + "/runs",
                                "  trials: 3\n  concurrency: 1\n"
                                "  space:\n    pipelines.training.steps.train.optimizer.lr: {type: "
                                "uniform, low: 0.05, high: 0.2}\n",
                                1, 300, "loggers: [jsonl, tensorboard]\n"));
  auto r = run_shell(itwin_bin() + " hpo " + cfg);
  INFO(r.out);
  REQUIRE(r.exit_code == 0);
  // TensorBoard's own HParams dashboard logic (tb_groups.py) over the trials.
  auto g = tb_groups(d.path() + "/runs/s-hpo/trials");
  INFO(g.out);
  REQUIRE(g.exit_code == 0);
  std::map<std::string, int> sessions;  // group -> its sessions
  std::string current;
  for (const auto& line : split_lines(g.out)) {
    if (line.rfind("group '", 0) == 0) current = line.substr(7, line.find('\'', 7) - 7);
    if (line.rfind("    session ", 0) == 0 && !current.empty()) ++sessions[current];
  }
  CHECK_THAT(g.out, Contains("3 session group(s)"));
  CHECK(sessions.size() == 3);
  for (const auto& [group, n] : sessions) CHECK(n == 1);
}
