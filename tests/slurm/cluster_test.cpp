// itwin submit / jobs against a real SLURM: slurmctld + 2 slurmd (simulated
// nodes) + munge on this host, started by scripts/slurm-local.sh for this
// program and stopped when it exits.
#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <thread>

#include "../helpers.hpp"

using namespace itwin::test;
using Catch::Matchers::Contains;
namespace fs = std::filesystem;

namespace {

struct Cluster {
  TempDir dir;
  bool up = false;
  std::string log;
  Cluster() {
    // munged wants every directory above its socket to be searchable by all.
    fs::permissions(dir.path(), fs::perms::owner_all | fs::perms::group_read |
                                    fs::perms::group_exec | fs::perms::others_read |
                                    fs::perms::others_exec);
    std::string env = "SLURM_LOCAL_DIR=" + dir.path() + "/slurm ";
    auto r = run_shell(env + source_root() + "/scripts/slurm-local.sh start 2", 120);
    log = r.out;
    up = r.exit_code == 0;
    setenv("SLURM_CONF", (dir.path() + "/slurm/etc/slurm.conf").c_str(), 1);
    setenv("ITWIN_STATE_DIR", (dir.path() + "/state").c_str(), 1);
    // The simulated nodes share one host name, so OpenMPI's shared-memory
    // segments of the two ranks (each local rank 0 of its node) get one
    // name and overwrite each other: an intermittent SIGSEGV in the job
    // (toolchain.md, multiple-slurmd). Real nodes have names of their own;
    // here the ranks talk TCP over loopback (sbatch passes the environment on).
    setenv("OMPI_MCA_btl", "self,tcp", 1);
    setenv("OMPI_MCA_btl_tcp_if_include", "lo", 1);
    setenv("OMPI_MCA_oob_tcp_if_include", "lo", 1);
    // Job logs, scripts and snapshots (slurm.log_dir, relative) land here, never in the source
    // tree.
    fs::create_directories(dir.path() + "/work");
    fs::current_path(dir.path() + "/work");
  }
  ~Cluster() {
    run_shell("SLURM_LOCAL_DIR=" + dir.path() + "/slurm " + source_root() +
                  "/scripts/slurm-local.sh stop",
              120);
  }
};

Cluster& cluster() {
  static Cluster c;
  INFO(c.log);
  REQUIRE(c.up);
  return c;
}

std::string pipeline(const std::string& name, int samples, int epochs) {
  return "run: {name: " + name +
         ", seed: 5}\n"
         "slurm: {partition: debug, time: '00:10:00', cpus_per_task: 1}\n"
         "pipelines:\n  training:\n    steps:\n"
         "      - {name: data, type: dataset, format: synthetic, synthetic: {samples: " +
         std::to_string(samples) +
         ", noise: 1.0}}\n"
         "      - {name: model, type: model, arch: mlp, hidden: [256, 256], dropout: 0.2}\n"
         "      - {name: train, type: trainer, epochs: " +
         std::to_string(epochs) + ", batch_size: 32}\n";
}

std::string submit(const std::string& args) {
  auto r = run_shell(itwin_bin() + " submit " + args);
  INFO(r.out);
  REQUIRE(r.exit_code == 0);
  std::smatch m;
  REQUIRE(std::regex_search(r.out, m, std::regex("submitted job (\\d+)")));
  return m[1];
}

std::string jobs(const std::string& args, int expect = 0) {
  auto r = run_shell(itwin_bin() + " jobs " + args, 400);
  INFO("itwin jobs " << args << "\n" << r.out);
  CHECK(r.exit_code == expect);
  return r.out;
}

std::string state(const std::string& id) {
  auto r = run_shell("squeue -h -j " + id + " -o %T");
  return r.exit_code == 0 ? r.out.substr(0, r.out.find('\n')) : "";
}

// Polls until pred() holds (readiness, not a fixed sleep); false on timeout.
bool until(const std::function<bool()>& pred, double seconds) {
  auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < end) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return pred();
}

}  // namespace

TEST_CASE("slurm: a 2-node job trains, and itwin jobs reports it", "[slurm][cluster]") {
  auto& c = cluster();
  std::string cfg = c.dir.write("small.yaml", pipeline("small", 2000, 2));
  std::string id = submit(cfg + " --nodes 2 --run-root " + c.dir.path() + "/runs");
  auto w = jobs("wait " + id + " --timeout 300 --interval 0.2");
  CHECK_THAT(w, Contains("COMPLETED"));
  CHECK_THAT(jobs("status " + id), Contains("COMPLETED, exit code 0:0"));
  CHECK_THAT(jobs("status " + id + " --json"), Contains("\"state\": \"COMPLETED\""));
  auto logs = jobs("logs " + id);
  CHECK_THAT(logs, Contains("2 node(s), 2 rank(s)"));
  CHECK_THAT(logs, Contains("distributed: 2 ranks (pmix launcher), backend mpi"));
  CHECK_THAT(logs, Contains("trained 2 epochs"));
  CHECK(fs::exists(c.dir.path() + "/runs/small-" + id + "/model.pt"));
  CHECK_THAT(jobs("list"), Contains(id));
}

TEST_CASE("slurm: cancel", "[slurm][cluster]") {
  auto& c = cluster();
  std::string cfg = c.dir.write("long.yaml", pipeline("long", 20000, 1000));
  std::string id = submit(cfg + " --nodes 1 --run-root " + c.dir.path() + "/runs");
  REQUIRE(until([&] { return state(id) == "RUNNING"; }, 120));
  CHECK_THAT(jobs("cancel " + id), Contains("cancelled job " + id));
  auto w = jobs("wait " + id + " --timeout 120 --interval 0.2", 1);
  CHECK_THAT(w, Contains("CANCELLED"));
}

TEST_CASE("slurm: the warning signal checkpoints, requeues and resumes to the same weights",
          "[slurm][cluster][python]") {
  auto& c = cluster();
  std::string cfg = c.dir.write("pre.yaml", pipeline("pre", 60000, 3));
  std::string runs = c.dir.path() + "/runs";
  std::string ref = submit(cfg + " --nodes 2 --run-root " + runs);
  jobs("wait " + ref + " --timeout 300 --interval 0.2");

  std::string id = submit(cfg + " --nodes 2 --run-root " + runs);
  std::string run = runs + "/pre-" + id;
  REQUIRE(until([&] { return fs::exists(run + "/checkpoints/epoch-0001/state.json"); }, 300));
  // What SLURM does --signal seconds before the time limit: USR1 to the batch shell.
  REQUIRE(run_shell("scancel --signal=USR1 --batch " + id).exit_code == 0);
  REQUIRE(until([&] { return state(id) == "PENDING"; }, 120));
  // SLURM holds a requeued job ~2 minutes; once the old step's daemon is gone, start it now.
  REQUIRE(until([&] { return run_shell("pgrep -f 'slurmstepd: \\[" + id + "\\.'").exit_code != 0; },
                60));
  REQUIRE(run_shell("scontrol update JobId=" + id + " StartTime=now").exit_code == 0);
  auto w = jobs("wait " + id + " --timeout 300 --interval 0.2");
  CHECK_THAT(w, Contains("COMPLETED"));
  auto logs = jobs("logs " + id);
  CHECK_THAT(logs, Contains("received SIGUSR1; asking the ranks to checkpoint"));
  CHECK_THAT(logs, Contains("requeueing (restart 1 of 3)"));
  CHECK_THAT(logs, Contains("resuming from " + run + "/checkpoints/epoch-0002-step-"));
  CHECK_THAT(jobs("status " + id), Contains("restarts 1"));
  auto same = run_shell(
      pytorch_helper("same-state " + runs + "/pre-" + ref + "/model.pt " + run + "/model.pt"));
  INFO(same.out);
  CHECK(same.exit_code == 0);
}

TEST_CASE("slurm: a scaling study submits one job per node count; itwin report compares them",
          "[slurm][cluster][report]") {
  auto& c = cluster();
  std::string cfg = c.dir.write("scale.yaml", pipeline("scale", 2000, 2));
  const std::string runs = c.dir.path() + "/runs";
  auto r = run_shell(itwin_bin() + " submit " + cfg + " --scaling 1,2 --run-root " + runs);
  INFO(r.out);
  REQUIRE(r.exit_code == 0);
  std::vector<std::string> ids;
  std::smatch m;
  for (auto it = r.out.cbegin();
       std::regex_search(it, r.out.cend(), m, std::regex("submitted job (\\d+) \\((scale-n[12])"));
       it = m[0].second) {
    ids.push_back(m[1]);
  }
  REQUIRE(ids.size() == 2);
  for (const auto& id : ids) {
    CHECK_THAT(jobs("wait " + id + " --timeout 300 --interval 0.2"), Contains("COMPLETED"));
  }
  auto list = jobs("list --json");
  CHECK_THAT(list, Contains("scale-n1"));
  CHECK_THAT(list, Contains("scale-n2"));
  CHECK_THAT(list, Contains("\"group\": \"scale-scaling-"));

  // The study the submission wrote, then the report on it: both world sizes.
  std::string study;
  for (const auto& e : fs::directory_iterator(runs)) {
    if (e.path().filename().string().rfind("scale-scaling-", 0) == 0) study = e.path().string();
  }
  REQUIRE(fs::exists(study + "/scaling.json"));
  const std::string out = c.dir.path() + "/scale-report";
  auto rep = run_shell(itwin_bin() + " report " + study + " --out " + out + " --json", 300);
  INFO(rep.out);
  REQUIRE(rep.exit_code == 0);
  std::ifstream report_json(out + "/report.json");
  auto j = nlohmann::json::parse(report_json, nullptr, false);
  REQUIRE_FALSE(j.is_discarded());
  CHECK(j["runs"] == 2);
  CHECK(j["skipped"].empty());
  REQUIRE(j["groups"].size() == 2);
  std::map<int, nlohmann::json> by_ranks;
  for (const auto& g : j["groups"]) by_ranks[g["ranks"].get<int>()] = g;
  REQUIRE(by_ranks.count(1) == 1);
  REQUIRE(by_ranks.count(2) == 1);
  CHECK(by_ranks[1]["backend"] == "local");
  CHECK(by_ranks[2]["backend"] == "mpi");
  CHECK(by_ranks[2]["nodes"] >= 1);  // the local cluster's two slurmd share one host name
  CHECK(by_ranks[2]["baseline"] == by_ranks[1]["label"]);
  for (const char* k : {"epoch_time_s", "speedup", "efficiency_pct", "samples_per_s", "compute_pct",
                        "comm_hidden_pct"}) {
    INFO(k);
    CHECK(by_ranks[2][k].is_number());
    CHECK(by_ranks[1]["epoch_time_s"].is_number());
  }
  for (const char* f : {"report.txt", "report.md", "report.csv", "report.json", "report.html",
                        "plots/epoch_time.png", "plots/speedup.svg", "plots/efficiency.png"}) {
    INFO(f);
    CHECK(fs::file_size(out + "/" + f) > 0);
  }
  auto md = run_shell("cat " + out + "/report.md");
  CHECK_THAT(md.out, Contains("mpi/ddp "));
  CHECK_THAT(md.out, Contains("local/ddp 1x1"));
}

TEST_CASE("slurm: sbatch errors are shown; bad requests never reach sbatch", "[slurm][cluster]") {
  auto& c = cluster();
  std::string cfg = c.dir.write("bad.yaml", pipeline("bad", 2000, 1));
  auto before = jobs("list");
  auto nope = run_shell(itwin_bin() + " submit " + cfg + " --partition nope");
  CHECK(nope.exit_code == 1);
  CHECK_THAT(nope.out, Contains("sbatch failed"));
  CHECK_THAT(nope.out, Contains("invalid partition"));
  auto gpus =
      run_shell(itwin_bin() + " submit " + cfg + " --profile juwels-booster --gpus-per-node 8");
  CHECK(gpus.exit_code == 2);
  CHECK_THAT(gpus.out, Contains("8 GPUs per node asked"));
  auto time = run_shell(itwin_bin() + " submit " + cfg + " --time 2h");
  CHECK(time.exit_code == 2);
  auto key = run_shell(itwin_bin() + " submit " + cfg + " --set slurm.gpu_per_node=1");
  CHECK(key.exit_code == 2);
  CHECK_THAT(key.out, Contains("did you mean 'gpus_per_node'?"));
  CHECK(jobs("list") == before);  // nothing was submitted
  auto unknown = run_shell(itwin_bin() + " jobs status 999999");
  CHECK(unknown.exit_code == 2);
  CHECK_THAT(unknown.out, Contains("no job 999999"));
}

TEST_CASE("slurm: --dry-run prints and --save keeps the script, submitting nothing", "[slurm]") {
  TempDir d;
  std::string cfg = d.write("p.yaml", pipeline("dry", 2000, 1));
  auto r = run_shell(itwin_bin() + " submit " + cfg + " --nodes 3 --dry-run --save " + d.path() +
                     "/job.sbatch");
  INFO(r.out);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Contains("#SBATCH --nodes=3"));
  CHECK(fs::exists(d.path() + "/job.sbatch"));
  CHECK(run_shell("shellcheck -s bash " + d.path() + "/job.sbatch").exit_code == 0);
  CHECK_FALSE(fs::exists(d.path() + "/slurm-logs"));
}

namespace {

// Journal lines of a study (compact JSON, one event each) that hold `what`.
std::vector<std::string> journal_lines(const std::string& study, const std::string& what) {
  std::vector<std::string> out;
  std::ifstream in(study + "/journal.jsonl");
  for (std::string line; std::getline(in, line);) {
    if (line.find(what) != std::string::npos) out.push_back(line);
  }
  return out;
}

}  // namespace

TEST_CASE("slurm: a study is one job; its trials are job steps, one-rank and two-rank",
          "[slurm][cluster][hpo]") {
  auto& c = cluster();
  const std::string runs = c.dir.path() + "/runs";
  const std::string space =
      "  space:\n    pipelines.training.steps.train.optimizer.lr: {type: uniform, low: 0.01, "
      "high: 0.1}\n";
  // Two concurrent one-rank trials in a 2-node allocation.
  std::string cfg =
      c.dir.write("study.yaml", pipeline("study", 500, 2) + "hpo:\n  trials: 2\n" + space);
  std::string id = submit(cfg + " --command hpo --nodes 2 --run-root " + runs);
  CHECK_THAT(jobs("wait " + id + " --timeout 300 --interval 0.2"), Contains("COMPLETED"));
  auto logs = jobs("logs " + id);
  CHECK_THAT(logs, Contains("2 node(s), 2 rank(s)"));
  CHECK_THAT(logs, Contains("2 trial(s) at once, srun job steps"));
  const std::string study = runs + "/study-" + id;
  CHECK(journal_lines(study, "\"event\":\"end\"").size() == 2);
  CHECK(journal_lines(study, "\"status\":\"COMPLETED\"").size() == 2);
  // Both ran at once: each started before the other ended.
  std::ifstream in(study + "/journal.jsonl");
  int started = 0, most = 0;
  for (std::string line; std::getline(in, line);) {
    if (line.find("\"event\":\"start\"") != std::string::npos) most = std::max(most, ++started);
    if (line.find("\"event\":\"end\"") != std::string::npos) --started;
  }
  CHECK(most == 2);
  CHECK(fs::exists(study + "/best.yaml"));

  // A two-rank trial across the allocation's two nodes.
  std::string two =
      c.dir.write("study2.yaml",
                  pipeline("study2", 500, 2) + "hpo:\n  trials: 1\n  ranks_per_trial: 2\n" + space);
  std::string id2 = submit(two + " --command hpo --nodes 2 --run-root " + runs);
  CHECK_THAT(jobs("wait " + id2 + " --timeout 300 --interval 0.2"), Contains("COMPLETED"));
  const std::string study2 = runs + "/study2-" + id2;
  CHECK(journal_lines(study2, "\"status\":\"COMPLETED\"").size() == 1);
  auto trial = run_shell("cat " + study2 + "/logs/trial-0000.log");
  INFO(trial.out);
  CHECK_THAT(trial.out, Contains("distributed: 2 ranks (pmix launcher)"));
}

TEST_CASE(
    "slurm: a study requeued by the warning signal continues; no trial starts again from "
    "scratch",
    "[slurm][cluster][hpo]") {
  auto& c = cluster();
  const std::string runs = c.dir.path() + "/runs";
  // Two one-rank trials of many cheap epochs: both are mid-training when the signal comes.
  std::string cfg = c.dir.write(
      "requeue.yaml", pipeline("rq", 1000, 40) +
                          "hpo:\n  trials: 2\n  space:\n    "
                          "pipelines.training.steps.train.optimizer.lr: {type: uniform, low: "
                          "0.01, high: 0.1}\n");
  std::string id = submit(cfg + " --command hpo --nodes 2 --run-root " + runs);
  const std::string study = runs + "/rq-" + id;
  // Act once both trials have reported an epoch (each has a checkpoint) and none has ended.
  REQUIRE(until(
      [&] {
        auto results = journal_lines(study, "\"event\":\"result\"");
        auto of = [&](const std::string& t) {
          return std::any_of(results.begin(), results.end(), [&](const std::string& l) {
            return l.find("\"trial\":" + t + ",") != std::string::npos;
          });
        };
        return of("0") && of("1") && journal_lines(study, "\"event\":\"end\"").empty();
      },
      300));
  REQUIRE(run_shell("scancel --signal=USR1 --batch " + id).exit_code == 0);
  REQUIRE(until([&] { return state(id) == "PENDING"; }, 120));
  REQUIRE(until([&] { return run_shell("pgrep -f 'slurmstepd: \\[" + id + "\\.'").exit_code != 0; },
                60));
  REQUIRE(run_shell("scontrol update JobId=" + id + " StartTime=now").exit_code == 0);
  CHECK_THAT(jobs("wait " + id + " --timeout 300 --interval 0.2"), Contains("COMPLETED"));
  auto logs = jobs("logs " + id);
  INFO(logs);
  CHECK_THAT(logs, Contains("requeueing (restart 1 of"));
  CHECK_THAT(logs, Contains("continuing study"));
  // Two sessions; each trial started new once, never restarted from scratch, and at least one
  // was resumed from its checkpoint; both completed with every epoch once.
  CHECK(journal_lines(study, "\"event\":\"session\"").size() == 2);
  CHECK(journal_lines(study, "\"kind\":\"new\"").size() == 2);
  CHECK(journal_lines(study, "\"kind\":\"restart\"").empty());
  CHECK(journal_lines(study, "\"kind\":\"resume\"").size() >= 1);
  auto ends = journal_lines(study, "\"event\":\"end\"");
  CHECK(journal_lines(study, "\"status\":\"INTERRUPTED\"").size() >= 1);
  CHECK(std::count_if(ends.begin(), ends.end(), [](const std::string& l) {
          return l.find("\"status\":\"COMPLETED\"") != std::string::npos;
        }) == 2);
  for (const char* t : {"0000", "0001"}) {
    std::ifstream in(study + "/trials/" + t + "/metrics.jsonl");
    int next = 1;
    for (std::string line; std::getline(in, line);) {
      if (line.find("\"train_loss\"") == std::string::npos ||
          line.find("\"per_step\":true") != std::string::npos)
        continue;
      auto at = line.find("\"epoch\":");
      REQUIRE(at != std::string::npos);
      CHECK(std::stoi(line.substr(at + 8)) == next++);
    }
    CHECK(next == 41);
  }
}
