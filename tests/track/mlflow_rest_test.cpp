// The MLflow logger on a real tracking server (MLflow 2.17's `mlflow server`
// with its file store and artifact proxy), read back by MLflow's client:
// params at MLflow's length, the user and source tags, test_* metrics, every
// metric value, the run's files as artifacts; nested runs of ranks > 0 with
// the provenance tags; a resumed training continuing its run.
#include <pwd.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "../helpers.hpp"
#include "oracles.hpp"
#include "track_helpers.hpp"

using namespace itwin::test;
using Catch::Matchers::Contains;
namespace fs = std::filesystem;

namespace {

// Runs, params, tags, metric histories and artifacts (downloaded to argv[2])
// of every run on the server argv[1].
const char* kServerRuns = R"(
import json, os, sys
import mlflow
from mlflow import MlflowClient
mlflow.set_tracking_uri(sys.argv[1])
c = MlflowClient(tracking_uri=sys.argv[1])
out = {}
for e in c.search_experiments():
    for r in c.search_runs([e.experiment_id]):
        i = r.info
        hist = {k: [[m.step, m.value] for m in c.get_metric_history(i.run_id, k)] for k in r.data.metrics}
        dst = os.path.join(sys.argv[2], i.run_id)
        os.makedirs(dst, exist_ok=True)
        arts = sorted(a.path for a in c.list_artifacts(i.run_id))
        if arts:
            mlflow.artifacts.download_artifacts(run_id=i.run_id, artifact_path="", dst_path=dst)
        out[i.run_id] = {"experiment": e.name, "name": i.run_name, "status": i.status, "user": i.user_id,
                         "params": r.data.params, "tags": r.data.tags, "history": hist, "artifacts": arts}
print(json.dumps(out))
)";

}  // namespace

TEST_CASE(
    "mlflow REST: a real server gets params at 6000 characters, the user, test_* metrics, every "
    "value and the files",
    "[track][oracle]") {
  ORACLES_OR_SKIP();
  RealMlflow server;
  REQUIRE_SERVER_UP(server);
  TempDir d;
  const std::string long_line = "true " + std::string(700, 'x');  // a param longer than 500
  std::string yaml = pipeline(
      "  - {type: jsonl, log_every: 5}\n"
      "  - {type: mlflow, log_every: 5, experiment: rest-exp, tracking_uri: '" +
      server.uri() + "'}\n");
  yaml.replace(yaml.find("synthetic: {samples: 640}}"), 26,
               "synthetic: {samples: 640}, split: {validation: 0.1, test: 0.1}}");
  const std::string steps = "    steps:\n";
  yaml.insert(yaml.find(steps) + steps.size(),
              "      - {name: prep, type: command, shell: '" + long_line + "'}\n");
  std::string cfg = d.write("p.yaml", yaml);
  std::string run = d.path() + "/run";
  auto r = run_shell("env -u USER -u LOGNAME " + itwin_bin() + " train " + cfg +
                     " --threads 1 --run-dir " + run);
  INFO(r.out);
  REQUIRE(r.exit_code == 0);

  auto check = check_mlflow(server.uri());
  INFO(check.out);
  CHECK(check.exit_code == 0);
  auto runs = oracle_json(d, kServerRuns, server.uri() + " " + d.path() + "/download");
  REQUIRE(runs.size() == 1);
  const std::string id = runs.begin().key();
  auto mr = runs.begin().value();
  INFO(mr.dump(1).substr(0, 4000));
  CHECK(id == nlohmann::json::parse(slurp(run + "/summary.json"))["tracked_runs"][0]["run_id"]);
  CHECK(mr["experiment"] == "rest-exp");
  CHECK(mr["status"] == "FINISHED");
  const std::string me = getpwuid(geteuid())->pw_name;
  CHECK(mr["user"] == me);
  CHECK(mr["tags"]["mlflow.user"] == me);
  CHECK(mr["tags"]["mlflow.source.type"] == "LOCAL");
  CHECK(mr["tags"].contains("itwin.config_hash"));
  CHECK(mr["params"]["prep.shell"] == long_line);  // whole: MLflow keeps 6000 characters
  // Every value the JSON lines hold, test_* included, at its step.
  std::map<std::string, std::map<int64_t, double>> want;
  for (const auto& line : split_lines(slurp(run + "/metrics.jsonl"))) {
    auto j = nlohmann::json::parse(line);
    for (auto& [k, v] : j.items())
      if (k != "step" && k != "epoch" && k != "time" && k != "per_step")
        want[k][j["step"].get<int64_t>()] = v.get<double>();
  }
  REQUIRE(want.count("test_accuracy"));
  CHECK(mr["history"].size() == want.size());
  for (const auto& [k, points] : want) {
    INFO(k);
    REQUIRE(mr["history"].contains(k));
    CHECK(mr["history"][k].size() == points.size());
    for (const auto& p : mr["history"][k])
      CHECK(p[1].get<double>() == Approx(points.at(p[0].get<int64_t>())));
  }
  for (const char* f : {"config.yaml", "model.pt", "summary.json", "provenance.json"}) {
    INFO(f);
    CHECK(slurp(d.path() + "/download/" + id + "/" + f) == slurp(run + "/" + f));
  }
}

TEST_CASE(
    "mlflow REST: on a real server, ranks > 0 nest with the provenance tags and a resume continues "
    "its run",
    "[track][oracle]") {
  ORACLES_OR_SKIP();
  RealMlflow server;
  REQUIRE_SERVER_UP(server);
  TempDir d;
  std::string nest = d.write(
      "n.yaml", pipeline("  - {type: mlflow, ranks: all, experiment: nest, tracking_uri: '" +
                         server.uri() + "'}\n"));
  auto r = run_shell(itwin_bin() + " train " + nest + " --nproc 2 --run-dir " + d.path() + "/nest");
  INFO(r.out);
  REQUIRE(r.exit_code == 0);
  std::string cont = d.write(
      "c.yaml",
      pipeline("  - {type: mlflow, experiment: cont, tracking_uri: '" + server.uri() + "'}\n"));
  const std::string epochs = " --set pipelines.training.steps.train.epochs=";
  REQUIRE(
      run_shell(itwin_bin() + " train " + cont + " --run-dir " + d.path() + "/cont" + epochs + "1")
          .exit_code == 0);
  auto again = run_shell(itwin_bin() + " train " + cont + " --resume --run-dir " + d.path() +
                         "/cont" + epochs + "2");
  INFO(again.out);
  REQUIRE(again.exit_code == 0);

  auto runs = oracle_json(d, kServerRuns, server.uri() + " " + d.path() + "/download");
  INFO(runs.dump(1).substr(0, 4000));
  const std::string parent =
      nlohmann::json::parse(slurp(d.path() + "/nest/summary.json"))["tracked_runs"][0]["run_id"];
  REQUIRE(runs.contains(parent));
  int children = 0, continued = 0;
  for (const auto& [id, mr] : runs.items()) {
    if (mr["experiment"] == "cont") {
      ++continued;
      CHECK(mr["status"] == "FINISHED");
      CHECK(mr["history"]["val_loss"].size() == 2);  // epoch 1, then epoch 2 after the resume
    }
    if (mr["experiment"] != "nest" || id == parent) continue;
    ++children;
    CHECK(mr["name"] == "tracked-rank-1");
    CHECK(mr["tags"]["mlflow.parentRunId"] == parent);
    // Every rank's run carries the provenance tags, not only rank 0's.
    for (const char* tag :
         {"itwin.config_hash", "itwin.version.itwin", "itwin.version.git_commit"}) {
      INFO(tag);
      CHECK(mr["tags"].contains(tag));
      CHECK(mr["tags"][tag] == runs[parent]["tags"][tag]);
    }
  }
  CHECK(children == 1);
  CHECK(continued == 1);  // one run across the resume
}
