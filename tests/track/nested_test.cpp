// Nested MLflow runs: the runs of ranks > 0 nest under rank 0's run, and any
// run nests under a given parent (a study's run). Continued runs: a resumed
// training (a requeued job) goes on logging into the MLflow runs it made
// before. (On a real tracking server: mlflow_rest_test.cpp.)
#include <catch2/catch.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "../helpers.hpp"
#include "track_helpers.hpp"

using namespace itwin::test;
using Catch::Matchers::Contains;
namespace fs = std::filesystem;

namespace {
// run id -> its tags directory, for every run of an experiment directory.
std::map<std::string, std::string> runs_of(const std::string& experiment_dir) {
  std::map<std::string, std::string> out;
  for (const auto& id : mlflow_run_ids(experiment_dir))
    out[id] = experiment_dir + "/" + id + "/tags/";
  return out;
}
}  // namespace

TEST_CASE("nested runs: ranks > 0 log child runs of rank 0's run (file store)", "[track]") {
  TempDir d;
  std::string cfg = d.write("p.yaml", pipeline("  - {type: mlflow, ranks: all, experiment: nest}\n"
                                               "  - {type: jsonl, ranks: all}\n"));
  auto r = run_shell(itwin_bin() + " train " + cfg + " --nproc 2 --run-dir " + d.path() + "/run");
  INFO(r.out);
  REQUIRE(r.exit_code == 0);
  // One store for the job (in rank 0's run directory), one experiment, two runs.
  auto runs = runs_of(d.path() + "/run/mlruns/1");
  REQUIRE(runs.size() == 2);
  auto summary = nlohmann::json::parse(slurp(d.path() + "/run/summary.json"));
  const std::string parent = summary["tracked_runs"][0]["run_id"];
  REQUIRE(runs.count(parent));
  CHECK_FALSE(fs::exists(runs[parent] + "mlflow.parentRunId"));
  CHECK(slurp(runs[parent] + "mlflow.runName") == "tracked");
  for (const auto& [id, tags] : runs) {
    if (id == parent) continue;
    CHECK(slurp(tags + "mlflow.parentRunId") == parent);
    CHECK(slurp(tags + "mlflow.runName") == "tracked-rank-1");
    CHECK(slurp(tags + "itwin.rank") == "1");
    // The child's metrics are rank 1's own, as its JSON lines hold them.
    auto lines = split_lines(slurp(d.path() + "/run/ranks/rank-1/metrics.jsonl"));
    auto metric = split_lines(slurp(d.path() + "/run/mlruns/1/" + id + "/metrics/train_loss"));
    REQUIRE(metric.size() == lines.size());
    CHECK(std::stod(split_words(metric.back())[1]) ==
          Approx(nlohmann::json::parse(lines.back())["train_loss"].get<double>()));
  }
  CHECK_FALSE(fs::exists(d.path() + "/run/ranks/rank-1/mlruns"));
  CHECK_THAT(run_shell(itwin_bin() + " runs show " + d.path() + "/run").out,
             Contains("tracked: mlflow " + parent));
}

TEST_CASE("nested runs: parent_run_id nests runs under a study's run", "[track]") {
  TempDir d;
  const std::string store = d.path() + "/mlruns";
  std::string study = d.write(
      "study.yaml", pipeline("  - {type: mlflow, dir: " + store + ", experiment: sweep}\n"));
  REQUIRE(
      run_shell(itwin_bin() + " train " + study + " --run-dir " + d.path() + "/study").exit_code ==
      0);
  const std::string parent =
      nlohmann::json::parse(slurp(d.path() + "/study/summary.json"))["tracked_runs"][0]["run_id"];
  for (const char* lr : {"0.01", "0.001"}) {
    std::string trial =
        d.write("trial.yaml", pipeline("  - {type: mlflow, dir: " + store +
                                       ", experiment: sweep, parent_run_id: " + parent + "}\n"));
    auto r = run_shell(itwin_bin() + " train " + trial +
                       " --set pipelines.training.steps.train.optimizer.lr=" + lr + " --run-dir " +
                       d.path() + "/trial-" + lr);
    INFO(r.out);
    REQUIRE(r.exit_code == 0);
  }
  int children = 0;
  for (const auto& [id, tags] : runs_of(store + "/1")) {
    if (id == parent) continue;
    CHECK(slurp(tags + "mlflow.parentRunId") == parent);
    ++children;
  }
  CHECK(children == 2);
  // A parent_run_id on a logger that is not mlflow is a config error.
  std::string bad = d.write("bad.yaml", pipeline("  - {type: jsonl, parent_run_id: abc}\n"));
  auto r = run_shell(itwin_bin() + " validate " + bad);
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.out, Contains("parent_run_id"));
}

TEST_CASE("continued runs: a resume logs into the same MLflow runs (file store, 2 ranks)",
          "[track]") {
  TempDir d;
  std::string cfg =
      d.write("p.yaml", pipeline("  - {type: mlflow, ranks: all, experiment: cont}\n"));
  std::string dir = d.path() + "/run";
  const std::string epochs = " --set pipelines.training.steps.train.epochs=";
  auto first =
      run_shell(itwin_bin() + " train " + cfg + " --nproc 2 --run-dir " + dir + epochs + "1");
  INFO(first.out);
  REQUIRE(first.exit_code == 0);
  auto again = run_shell(itwin_bin() + " train " + cfg + " --nproc 2 --resume --run-dir " + dir +
                         epochs + "3");
  INFO(again.out);
  REQUIRE(again.exit_code == 0);
  auto runs = runs_of(dir + "/mlruns/1");
  CHECK(runs.size() == 2);  // still one run per rank
  for (const auto& [id, tags] : runs) {
    std::string run = dir + "/mlruns/1/" + id;
    CHECK(split_lines(slurp(run + "/metrics/train_loss")).size() == 3);  // epochs 1, then 2 and 3
    CHECK_THAT(slurp(run + "/meta.yaml"), Contains("status: 3"));
  }
}
