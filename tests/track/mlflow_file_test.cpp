// The MLflow file store itwin writes, read by the real MLflow 2.17: its client
// (MlflowClient, check_mlflow.py), its tracking server browsing the store as
// `mlflow ui` does, and its client writing into the same experiment.
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

std::string account() { return getpwuid(geteuid())->pw_name; }

// The tracked pipeline with a test split (test_* metrics after training).
std::string with_test_split(const std::string& yaml) {
  std::string out = yaml;
  const std::string from = "synthetic: {samples: 640}}";
  out.replace(out.find(from), from.size(),
              "synthetic: {samples: 640}, split: {validation: 0.1, test: 0.1}}");
  return out;
}

// Everything MLflow's client sees of the runs of `store` (a path or a URI).
const char* kRuns = R"(
import json, sys
from mlflow import MlflowClient
from mlflow.entities import ViewType
store = sys.argv[1] if "://" in sys.argv[1] else "file://" + sys.argv[1]
c = MlflowClient(tracking_uri=store)
out = {"experiments": {}, "runs": {}}
for e in c.search_experiments(view_type=ViewType.ALL):
    out["experiments"].setdefault(e.name, []).append(e.experiment_id)
    for r in c.search_runs([e.experiment_id], run_view_type=ViewType.ALL):
        i = r.info
        out["runs"][i.run_id] = {
            "experiment": e.name, "name": i.run_name, "status": i.status, "user": i.user_id,
            "params": r.data.params, "tags": r.data.tags, "metrics": r.data.metrics,
            "val_loss_points": len(c.get_metric_history(i.run_id, "val_loss")),
            "artifacts": sorted(a.path for a in c.list_artifacts(i.run_id))}
print(json.dumps(out))
)";

}  // namespace

TEST_CASE(
    "mlflow file store: MLflow's client reads runs, user, tags, params, metrics (test_* too), "
    "artifacts",
    "[track][oracle]") {
  ORACLES_OR_SKIP();
  TempDir d;
  std::string cfg = d.write(
      "p.yaml", with_test_split(pipeline("  - {type: mlflow, experiment: fmnist-study}\n")));
  std::string run = d.path() + "/run";
  // No $USER or $LOGNAME (a batch job, a container): the account is still known.
  auto r = run_shell("env -u USER -u LOGNAME " + itwin_bin() + " train " + cfg +
                     " --threads 1 --run-dir " + run);
  INFO(r.out);
  REQUIRE(r.exit_code == 0);
  auto check = check_mlflow(run + "/mlruns");
  INFO(check.out);
  CHECK(check.exit_code == 0);

  auto seen = oracle_json(d, kRuns, run + "/mlruns");
  REQUIRE(seen["runs"].size() == 1);
  auto mr = seen["runs"].begin().value();
  INFO(mr.dump(1));
  CHECK(mr["experiment"] == "fmnist-study");
  CHECK(mr["name"] == "tracked");
  CHECK(mr["status"] == "FINISHED");
  CHECK(mr["user"] == account());
  CHECK(mr["tags"]["mlflow.user"] == account());
  CHECK(mr["tags"]["mlflow.source.type"] == "LOCAL");
  CHECK(mr["tags"].contains("itwin.config_hash"));
  CHECK(mr["params"]["train.epochs"] == "3");
  CHECK(mr["val_loss_points"] == 3);
  auto summary = nlohmann::json::parse(slurp(run + "/summary.json"));
  REQUIRE(summary["metrics"].contains("test_accuracy"));
  CHECK(mr["metrics"]["test_accuracy"].get<double>() ==
        Approx(summary["metrics"]["test_accuracy"].get<double>()));
  CHECK(mr["metrics"].contains("test_loss"));
  for (const char* f : {"config.yaml", "model.pt", "provenance.json", "summary.json"}) {
    CHECK(std::find(mr["artifacts"].begin(), mr["artifacts"].end(), f) != mr["artifacts"].end());
  }
}

TEST_CASE(
    "mlflow file store: itwin and MLflow's client share an experiment side by side; two itwin "
    "writers make one",
    "[track][oracle]") {
  ORACLES_OR_SKIP();
  TempDir d;
  const std::string store = d.path() + "/mlruns";
  // MLflow's client makes the experiment (meta.yaml `name: shared-exp`) and logs a run.
  const char* py_run = R"(
import sys
from mlflow import MlflowClient
c = MlflowClient(tracking_uri="file://" + sys.argv[1])
e = c.get_experiment_by_name("shared-exp")
eid = e.experiment_id if e else c.create_experiment("shared-exp")
r = c.create_run(eid, run_name="from-python-" + sys.argv[2])
c.log_param(r.info.run_id, "lr", "0.1")
c.log_metric(r.info.run_id, "val_loss", 0.5, step=1)
c.set_terminated(r.info.run_id)
print('{}')
)";
  oracle_json(d, py_run, store + " 1");
  bool unquoted = false;  // MLflow's spelling, which itwin must read as YAML
  for (const auto& e : fs::directory_iterator(store))
    unquoted = unquoted || slurp((e.path() / "meta.yaml").string()).find("name: shared-exp\n") !=
                               std::string::npos;
  REQUIRE(unquoted);
  std::string cfg = d.write(
      "p.yaml", pipeline("  - {type: mlflow, dir: " + store + ", experiment: shared-exp}\n"));
  auto r = run_shell(itwin_bin() + " train " + cfg + " --run-dir " + d.path() + "/a");
  INFO(r.out);
  REQUIRE(r.exit_code == 0);
  oracle_json(d, py_run, store + " 2");  // and MLflow's client again, after itwin
  // Two itwin writers creating a new experiment at the same time.
  std::string both =
      d.write("q.yaml", pipeline("  - {type: mlflow, dir: " + store + ", experiment: new-exp}\n"));
  auto two = run_shell(itwin_bin() + " train " + both + " --threads 1 --run-dir " + d.path() +
                       "/b & p=$!; " + itwin_bin() + " train " + both + " --threads 1 --run-dir " +
                       d.path() + "/c; c=$?; wait $p; exit $(($? | c))");
  INFO(two.out);
  REQUIRE(two.exit_code == 0);

  auto check = check_mlflow(store);
  INFO(check.out);
  CHECK(check.exit_code == 0);
  auto seen = oracle_json(d, kRuns, store);
  INFO(seen.dump(1));
  CHECK(seen["experiments"]["shared-exp"].size() == 1);  // one experiment of that name
  CHECK(seen["experiments"]["new-exp"].size() == 1);
  std::map<std::string, int> per_experiment;
  for (const auto& [id, run] : seen["runs"].items()) ++per_experiment[run["experiment"]];
  CHECK(per_experiment["shared-exp"] == 3);  // python, itwin, python
  CHECK(per_experiment["new-exp"] == 2);
}

TEST_CASE("mlflow file store: a real tracking server browses itwin's store as `mlflow ui` does",
          "[track][oracle]") {
  ORACLES_OR_SKIP();
  TempDir d;
  const std::string store = d.path() + "/store";
  std::string cfg = d.write(
      "p.yaml", pipeline("  - {type: mlflow, dir: " + store + "/mlruns, experiment: browse}\n"));
  std::string run = d.path() + "/run";
  REQUIRE(run_shell(itwin_bin() + " train " + cfg + " --run-dir " + run).exit_code == 0);
  REQUIRE(run_shell("MLFLOW_TRACKING_URI=" + store + "/mlruns " + itwin_bin() +
                    " models register " + run + " --name browsed")
              .exit_code == 0);
  RealMlflow server(store);  // serves itwin's store
  REQUIRE_SERVER_UP(server);
  auto check = check_mlflow(server.uri());
  INFO(check.out);
  CHECK(check.exit_code == 0);
  // What the UI asks for: the experiment's runs, a run's artifacts and their bytes, the models.
  const std::string api = server.uri() + "/api/2.0/mlflow";
  auto exp = nlohmann::json::parse(
      run_shell("curl -sf '" + api + "/experiments/get-by-name?experiment_name=browse'").out);
  std::string eid = exp["experiment"]["experiment_id"];
  auto runs = nlohmann::json::parse(
      run_shell("curl -sf -X POST -H 'Content-Type: application/json' " + api +
                "/runs/search -d '{\"experiment_ids\": [\"" + eid + "\"]}'")
          .out);
  REQUIRE(runs["runs"].size() == 1);
  std::string rid = runs["runs"][0]["info"]["run_id"];
  CHECK(runs["runs"][0]["info"]["status"] == "FINISHED");
  auto listed = run_shell("curl -sf '" + api + "/artifacts/list?run_id=" + rid + "'");
  CHECK_THAT(listed.out, Contains("\"model.pt\""));
  for (const char* f : {"model.pt", "config.yaml"}) {
    INFO(f);
    auto got = run_shell("curl -sf -o " + d.path() + "/got '" + server.uri() +
                         "/get-artifact?path=" + f + "&run_uuid=" + rid + "'");
    REQUIRE(got.exit_code == 0);
    CHECK(slurp(d.path() + "/got") == slurp(run + "/" + f));
  }
  auto models = run_shell("curl -sf '" + api + "/registered-models/search'");
  CHECK_THAT(models.out, Contains("\"browsed\""));
}
