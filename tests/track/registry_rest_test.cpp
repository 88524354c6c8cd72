// The model registry on a real MLflow 2.17 tracking server: versions whose
// files are run artifacts (runs:/RUN_ID/PATH, the only local-files form the
// server takes), read back by MLflow's client, loaded by `itwin infer`
// through models:/NAME/ALIAS; a registration that fails leaves nothing.
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

// A pipeline that trains, plus an inference pipeline loading models:/blobs/production.
std::string train_and_infer(const TempDir& d, const std::string& loggers) {
  return d.write(
      "p.yaml",
      pipeline(loggers) +
          "  inference:\n    steps:\n"
          "      - {name: data, type: dataset, format: synthetic, synthetic: {samples: 640}}\n"
          "      - {name: model, type: model, arch: mlp, hidden: [16], weights: "
          "'models:/blobs/production'}\n"
          "      - {name: predict, type: predictor, split: validation}\n"
          "      - {name: save, type: saver, path: " +
          d.path() + "/pred.csv}\n");
}

// The registry as MLflow's client sees it: models, versions (source, run,
// download URI, files downloaded to argv[2]/NAME-VERSION), aliases, and the
// artifact paths of every run.
const char* kRegistry = R"(
import json, os, sys
import mlflow
from mlflow import MlflowClient
mlflow.set_tracking_uri(sys.argv[1])
c = MlflowClient(tracking_uri=sys.argv[1])
out = {"models": {}, "runs": {}}
for m in c.search_registered_models():
    vs = {}
    for v in c.search_model_versions(f"name='{m.name}'"):
        dst = os.path.join(sys.argv[2], f"{m.name}-{v.version}")
        mlflow.artifacts.download_artifacts(artifact_uri=f"models:/{m.name}/{v.version}", dst_path=dst)
        vs[v.version] = {"source": v.source, "run_id": v.run_id, "status": v.status,
                         "uri": c.get_model_version_download_uri(m.name, v.version),
                         "files": sorted(os.listdir(dst)), "tags": v.tags}
    out["models"][m.name] = {"versions": vs, "aliases": dict(m.aliases)}
for e in c.search_experiments():
    for r in c.search_runs([e.experiment_id]):
        out["runs"][r.info.run_id] = {"experiment": e.name, "status": r.info.status,
                                      "artifacts": sorted(a.path for a in c.list_artifacts(r.info.run_id))}
print(json.dumps(out))
)";

}  // namespace

TEST_CASE(
    "models: a real MLflow server holds the registry; files are run artifacts; infer loads "
    "models:/NAME/ALIAS",
    "[track][oracle]") {
  ORACLES_OR_SKIP();
  RealMlflow server;
  REQUIRE_SERVER_UP(server);
  TempDir d;
  const std::string env = "ITWIN_STATE_DIR=" + d.path() + "/state ";
  const std::string reg = " models --registry " + server.uri() + " ";
  // r1 was tracked on the server; r2 only in JSON lines.
  std::string cfg = train_and_infer(
      d, "  - {type: mlflow, experiment: reg, tracking_uri: '" + server.uri() + "'}\n");
  REQUIRE(run_shell(itwin_bin() + " train " + cfg + " --run-dir " + d.path() + "/r1").exit_code ==
          0);
  REQUIRE(run_shell(itwin_bin() + " train " + cfg + " --set 'loggers=[{type: jsonl}]' --run-dir " +
                    d.path() + "/r2")
              .exit_code == 0);
  const std::string run_id =
      nlohmann::json::parse(slurp(d.path() + "/r1/summary.json"))["tracked_runs"][0]["run_id"];
  for (const char* r : {"r1", "r1", "r2"}) {
    auto out =
        run_shell(env + itwin_bin() + reg + "register " + d.path() + "/" + r + " --name blobs");
    INFO(out.out);
    REQUIRE(out.exit_code == 0);
    CHECK_THAT(out.out, Contains("in the MLflow server " + server.uri()));
  }
  REQUIRE(run_shell(env + itwin_bin() + reg + "alias blobs production 3").exit_code == 0);

  auto check = check_mlflow(server.uri());
  INFO(check.out);
  CHECK(check.exit_code == 0);
  auto seen = oracle_json(d, kRegistry, server.uri() + " " + d.path() + "/download");
  INFO(seen.dump(1));
  auto versions = seen["models"]["blobs"]["versions"];
  REQUIRE(versions.size() == 3);
  // Versions 1 and 2: the training run's artifacts (uploaded once, then reused).
  for (const char* v : {"1", "2"}) {
    CHECK(versions[v]["source"] == "runs:/" + run_id + "/model");
    CHECK(versions[v]["run_id"] == run_id);
    CHECK(versions[v]["status"] == "READY");
    CHECK(versions[v]["tags"]["itwin.source_run"] == d.path() + "/r1");
    CHECK(slurp(d.path() + "/download/blobs-" + std::string(v) + "/model.pt") ==
          slurp(d.path() + "/r1/model.pt"));
  }
  // Version 3: a run made on the server to hold the files of a run tracked elsewhere.
  const std::string holder = versions["3"]["run_id"];
  CHECK(holder != run_id);
  CHECK(seen["runs"][holder]["experiment"] == "itwin-registry");
  CHECK(seen["runs"][holder]["status"] == "FINISHED");
  CHECK(slurp(d.path() + "/download/blobs-3/model.pt") == slurp(d.path() + "/r2/model.pt"));
  CHECK(seen["models"]["blobs"]["aliases"]["production"] == "3");
  CHECK(seen["runs"][run_id]["artifacts"].dump() ==
        R"(["config.yaml","model","model.pt","provenance.json","summary.json"])");  // one copy,
                                                                                    // under model/

  // A pipeline loads the version behind the alias, downloaded from the server.
  auto inf = run_shell(env + "MLFLOW_TRACKING_URI=" + server.uri() + " " + itwin_bin() + " infer " +
                       cfg + " --run-dir " + d.path() + "/i1");
  INFO(inf.out);
  REQUIRE(inf.exit_code == 0);
  CHECK_THAT(inf.out, Contains("model: registry blobs version 3"));
  CHECK(fs::exists(d.path() + "/pred.csv"));
  auto show = nlohmann::json::parse(
      run_shell(env + itwin_bin() + reg + "show blobs@production --json").out);
  CHECK(show["version"] == 3);
  CHECK(show["source_run"] == d.path() + "/r2");
}

TEST_CASE("models: a registration the real server refuses leaves nothing behind",
          "[track][oracle]") {
  ORACLES_OR_SKIP();
  RealMlflow server;
  REQUIRE_SERVER_UP(server);
  TempDir d;
  const std::string env = "ITWIN_STATE_DIR=" + d.path() + "/state ";
  std::string cfg = d.write(
      "p.yaml",
      pipeline("  - {type: mlflow, experiment: reg, tracking_uri: '" + server.uri() + "'}\n"));
  const std::string run = d.path() + "/r1";
  REQUIRE(run_shell(itwin_bin() + " train " + cfg + " --run-dir " + run).exit_code == 0);
  // A metric name MLflow refuses as a tag key: the version cannot be created,
  // after the files were uploaded and the registered model made.
  auto summary = nlohmann::json::parse(slurp(run + "/summary.json"));
  summary["metrics"]["bad*name"] = 1.0;
  run_shell("chmod u+w " + run + "/summary.json");
  d.write("r1/summary.json", summary.dump());
  auto r = run_shell(env + itwin_bin() + " models --registry " + server.uri() + " register " + run +
                     " --name ghost");
  INFO(r.out);
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.out, Contains("model-versions/create"));
  auto seen = oracle_json(d, kRegistry, server.uri() + " " + d.path() + "/download");
  INFO(seen.dump(1));
  CHECK(seen["models"].empty());  // no empty registered model stays behind
  const std::string run_id = summary["tracked_runs"][0]["run_id"];
  CHECK(seen["runs"].size() == 1);  // no run made for the files either
  CHECK(seen["runs"][run_id]["artifacts"].dump() ==
        R"(["config.yaml","model.pt","provenance.json","summary.json"])");
  // A server that cannot be reached: an error, and nothing on disk.
  auto down = run_shell(env + itwin_bin() + " models --registry http://127.0.0.1:9 register " +
                        run + " --name lost");
  CHECK(down.exit_code == 1);
  CHECK_FALSE(fs::exists(d.path() + "/state/registry"));
}
