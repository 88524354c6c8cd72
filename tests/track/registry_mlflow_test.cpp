// The model registry in an MLflow file store, read by the real MLflow 2.17's
// client (versions, aliases, download URIs), and its aliases with other
// processes' temporary files beside them.
#include <catch2/catch.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "../helpers.hpp"
#include "oracles.hpp"
#include "track_helpers.hpp"

using namespace itwin::test;
using Catch::Matchers::Contains;
namespace fs = std::filesystem;

TEST_CASE("models: MLflow's client reads the file-store registry: versions, aliases, download URIs",
          "[track][oracle]") {
  ORACLES_OR_SKIP();
  TempDir d;
  const std::string store = d.path() + "/mlruns";
  const std::string env = "MLFLOW_TRACKING_URI=" + store + " ";
  std::string cfg =
      d.write("p.yaml", pipeline("  - {type: mlflow, dir: " + store + ", experiment: reg}\n"));
  REQUIRE(run_shell(itwin_bin() + " train " + cfg + " --run-dir " + d.path() + "/r1").exit_code ==
          0);
  for (int i = 0; i < 2; ++i)
    REQUIRE(run_shell(env + itwin_bin() + " models register " + d.path() + "/r1 --name blobs")
                .exit_code == 0);
  REQUIRE(run_shell(env + itwin_bin() + " models alias blobs production 1").exit_code == 0);
  REQUIRE(run_shell(env + itwin_bin() + " models alias blobs staging 2").exit_code == 0);
  auto check = check_mlflow(store);
  INFO(check.out);
  CHECK(check.exit_code == 0);
  auto seen = oracle_json(d, R"(
import json, sys
from mlflow import MlflowClient
c = MlflowClient(tracking_uri="file://" + sys.argv[1])
m = c.get_registered_model("blobs")
out = {"aliases": dict(m.aliases), "versions": {}}
for v in c.search_model_versions("name='blobs'"):
    out["versions"][str(v.version)] = {"run_id": v.run_id, "stage": v.current_stage, "status": v.status,
                                  "uri": c.get_model_version_download_uri("blobs", v.version)}
out["production"] = str(c.get_model_version_by_alias("blobs", "production").version)
print(json.dumps(out))
)",
                          store);
  INFO(seen.dump(1));
  CHECK(seen["aliases"] == nlohmann::json({{"production", "1"}, {"staging", "2"}}));
  CHECK(seen["production"] == "1");
  REQUIRE(seen["versions"].size() == 2);
  const std::string run_id =
      nlohmann::json::parse(slurp(d.path() + "/r1/summary.json"))["tracked_runs"][0]["run_id"];
  for (const auto& [v, info] : seen["versions"].items()) {
    INFO(v);
    CHECK(info["run_id"] == run_id);
    CHECK(info["status"] == "READY");
    std::string uri = info["uri"];
    REQUIRE(uri.rfind("file://", 0) == 0);
    CHECK(slurp(uri.substr(7) + "/model.pt") == slurp(d.path() + "/r1/model.pt"));
  }
}

TEST_CASE("models: aliases of an MLflow file store ignore other writers' temporary files",
          "[track]") {
  TempDir d;
  const std::string store = d.path() + "/mlruns";
  const std::string env = "MLFLOW_TRACKING_URI=" + store + " ";
  std::string cfg = d.write("p.yaml", pipeline("  - {type: jsonl}\n"));
  REQUIRE(run_shell(itwin_bin() + " train " + cfg + " --run-dir " + d.path() + "/r1").exit_code ==
          0);
  REQUIRE(run_shell(env + itwin_bin() + " models register " + d.path() + "/r1 --name blobs")
              .exit_code == 0);
  REQUIRE(run_shell(env + itwin_bin() + " models alias blobs production 1").exit_code == 0);
  // Another process is writing an alias right now (write_file_atomic's temp
  // name), and one that was there when listed is gone when read.
  d.write("mlruns/models/blobs/aliases/staging.tmp.4242", "1");
  d.write("mlruns/models/blobs/aliases/.hidden", "1");
  fs::create_symlink(store + "/gone", store + "/models/blobs/aliases/old.tmp.77");
  auto list = run_shell(env + itwin_bin() + " models list --json");
  INFO(list.out);
  REQUIRE(list.exit_code == 0);
  CHECK(nlohmann::json::parse(list.out)["blobs"][0]["aliases"] ==
        nlohmann::json::array({"production"}));
  CHECK_THAT(run_shell(env + itwin_bin() + " models show blobs@production").out,
             Contains("blobs version 1"));
  // itwin's own alias writes never leave a file in aliases/ that is not an alias.
  REQUIRE(run_shell(env + itwin_bin() + " models alias blobs staging 1").exit_code == 0);
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(store + "/models/blobs/aliases"))
    names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  CHECK(names == std::vector<std::string>{".hidden", "old.tmp.77", "production", "staging",
                                          "staging.tmp.4242"});
  // Aliases MLflow would refuse are refused here too.
  auto bad = run_shell(env + itwin_bin() + " models alias blobs prod.v1 1");
  CHECK(bad.exit_code == 2);
  CHECK_THAT(bad.out, Contains("may only hold letters, digits, '_' and '-'"));
  CHECK(run_shell(env + itwin_bin() + " models alias blobs v2 1").exit_code == 2);
}
