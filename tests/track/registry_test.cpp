// The model registry in itwin's local directory and in an MLflow file store
// (checked against the layout MLflow's model_registry file_store.py reads,
// field by field), and pipelines that load registered models from each. The
// real MLflow reads them in registry_mlflow_test.cpp; a real server holds the
// registry in registry_rest_test.cpp.
#include <catch2/catch.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <regex>

#include "../helpers.hpp"
#include "track_helpers.hpp"

using namespace itwin::test;
using Catch::Matchers::Contains;
namespace fs = std::filesystem;

namespace {

// A pipeline that trains, plus an inference pipeline whose model weights come
// from the registry reference in vars.ref.
std::string train_and_infer(const TempDir& d, const std::string& loggers) {
  return d.write(
      "p.yaml",
      pipeline(loggers) +
          "  inference:\n    steps:\n"
          "      - {name: data, type: dataset, format: synthetic, synthetic: {samples: 640}}\n"
          "      - {name: model, type: model, arch: mlp, hidden: [16], weights: \"${vars.ref}\"}\n"
          "      - {name: predict, type: predictor, split: validation}\n"
          "      - {name: save, type: saver, path: " +
          d.path() +
          "/pred.csv}\n"
          "vars: {ref: 'models:/blobs/production'}\n");
}

}  // namespace

TEST_CASE("models: register, list, show, aliases, and pipelines that load registered models",
          "[track]") {
  TempDir d;
  std::string env = "ITWIN_REGISTRY=" + d.path() + "/registry ";
  std::string cfg = train_and_infer(d, "  - {type: jsonl}\n");
  REQUIRE(run_shell(itwin_bin() + " train " + cfg + " --run-dir " + d.path() + "/r1").exit_code ==
          0);
  auto r1 = run_shell(env + itwin_bin() + " models register " + d.path() + "/r1 --name blobs");
  INFO(r1.out);
  REQUIRE(r1.exit_code == 0);
  CHECK_THAT(r1.out, Contains("registered blobs version 1 in the local registry"));
  auto r2 = run_shell(env + itwin_bin() + " models register " + d.path() + "/r1 --name blobs");
  CHECK_THAT(r2.out, Contains("registered blobs version 2"));  // never replaces version 1
  CHECK(fs::exists(d.path() + "/registry/blobs/versions/1/model.pt"));

  auto list = run_shell(env + itwin_bin() + " models list --json");
  CHECK(nlohmann::json::parse(list.out)["blobs"].size() == 2);
  auto show = run_shell(env + itwin_bin() + " models show blobs@1");
  CHECK_THAT(show.out, Contains("blobs version 1"));
  CHECK_THAT(show.out, Contains("val_accuracy"));

  // No alias yet: a clear error; then production -> 1 and inference loads it.
  auto missing = run_shell(env + itwin_bin() + " infer " + cfg + " --run-dir " + d.path() + "/i0");
  CHECK(missing.exit_code == 2);
  CHECK_THAT(missing.out, Contains("model 'blobs' has no alias 'production'"));
  REQUIRE(run_shell(env + itwin_bin() + " models alias blobs production 1").exit_code == 0);
  CHECK_THAT(run_shell(env + itwin_bin() + " models show models:/blobs/production").out,
             Contains("version 1 (production)"));
  auto inf = run_shell(env + itwin_bin() + " infer " + cfg + " --run-dir " + d.path() + "/i1");
  INFO(inf.out);
  REQUIRE(inf.exit_code == 0);
  CHECK_THAT(inf.out, Contains("model: registry blobs version 1"));
  CHECK_THAT(inf.out, Contains("accuracy"));
  CHECK(fs::exists(d.path() + "/pred.csv"));
  // from: registry in the model step, latest version.
  auto latest = run_shell(env + itwin_bin() + " infer " + cfg + " --run-dir " + d.path() + "/i2" +
                          " --set 'pipelines.inference.steps.model={name: model, type: model, "
                          "arch: mlp, hidden: [16], from: registry, model: blobs}'");
  INFO(latest.out);
  CHECK_THAT(latest.out, Contains("model: registry blobs version 2"));

  auto bad = run_shell(env + itwin_bin() + " models register " + d.path() + " --name blobs");
  CHECK(bad.exit_code == 2);
  CHECK_THAT(bad.out, Contains("holds no trained model"));
  CHECK_THAT(run_shell(env + itwin_bin() + " models show blobz").out,
             Contains("did you mean 'blobs'?"));
  CHECK_THAT(run_shell(env + itwin_bin() + " models show blobs@7").out,
             Contains("has no version 7"));
}

namespace {
// The run directory of the only run under an MLflow experiment directory.
std::string only_run(const std::string& experiment_dir) {
  auto runs = mlflow_run_ids(experiment_dir);
  REQUIRE(runs.size() == 1);
  return runs[0];
}

void check_lines(const std::string& text, const std::vector<std::string>& patterns) {
  for (const auto& p : patterns) {
    INFO(text);
    INFO(p);
    CHECK(std::regex_search(text, std::regex("(^|\\n)" + p + "\\n")));
  }
}
}  // namespace

TEST_CASE("models: an MLflow file store holds the registry, in MLflow's layout", "[track]") {
  TempDir d;
  const std::string store = d.path() + "/mlruns";
  const std::string env =
      "MLFLOW_TRACKING_URI=" + store + " ";  // MLflow's variable: a path is a file store
  std::string cfg = train_and_infer(d, "  - {type: mlflow, dir: " + store + ", experiment: reg}\n");
  REQUIRE(run_shell(itwin_bin() + " train " + cfg + " --run-dir " + d.path() + "/r1").exit_code ==
          0);
  const std::string run_id = only_run(store + "/1");
  auto r1 = run_shell(env + itwin_bin() + " models register " + d.path() + "/r1 --name blobs");
  INFO(r1.out);
  REQUIRE(r1.exit_code == 0);
  CHECK_THAT(r1.out, Contains("registered blobs version 1 in the MLflow file store " + store));
  REQUIRE(run_shell(env + itwin_bin() + " models register " + d.path() + "/r1 --name blobs")
              .exit_code == 0);

  // The registered model and its versions, field by field.
  const std::string model = store + "/models/blobs";
  // (itwin writes `name: 'blobs'`, and rewrites the file as YAML when a version is added.)
  check_lines(slurp(model + "/meta.yaml"),
              {"aliases: \\{\\}", "creation_timestamp: \\d{13}", "description: null",
               "last_updated_timestamp: \\d{13}", "name: '?blobs'?"});
  for (int v : {1, 2}) {
    std::string dir = model + "/version-" + std::to_string(v);
    check_lines(slurp(dir + "/meta.yaml"),
                {"aliases: \\[\\]", "creation_timestamp: \\d{13}", "current_stage: None",
                 "description: null", "last_updated_timestamp: \\d{13}", "name: 'blobs'",
                 "run_id: '" + run_id + "'", "run_link: null",
                 "source: 'file://" + store + "/1/" + run_id + "/artifacts'", "status: READY",
                 "status_message: null", "storage_location: 'file://" + dir + "/files'",
                 "user_id: .+", "version: " + std::to_string(v)});
    CHECK(slurp(dir + "/tags/itwin.source_run") == d.path() + "/r1");
    CHECK(fs::exists(dir + "/tags/itwin.metric.val_loss"));
    CHECK(fs::exists(dir + "/files/model.pt"));
    CHECK((fs::status(dir + "/files/model.pt").permissions() & fs::perms::owner_write) ==
          fs::perms::none);  // immutable
  }
  std::vector<std::string> entries;  // nothing half-made is left where MLflow looks
  for (const auto& e : fs::directory_iterator(model))
    entries.push_back(e.path().filename().string());
  std::sort(entries.begin(), entries.end());
  CHECK(entries == std::vector<std::string>{"meta.yaml", "version-1", "version-2"});
  CHECK_FALSE(fs::exists(store + "/.itwin-tmp"));

  // Aliases are files holding the version; a pipeline loads through them.
  REQUIRE(run_shell(env + itwin_bin() + " models alias blobs production 1").exit_code == 0);
  CHECK(slurp(model + "/aliases/production") == "1");
  auto inf = run_shell(env + itwin_bin() + " infer " + cfg + " --run-dir " + d.path() + "/i1");
  INFO(inf.out);
  REQUIRE(inf.exit_code == 0);
  CHECK_THAT(inf.out, Contains("model: registry blobs version 1"));
  auto show = run_shell(env + itwin_bin() + " models show blobs@production --json");
  auto j = nlohmann::json::parse(show.out);
  CHECK(j["run_id"] == run_id);
  CHECK(j["metrics"].contains("val_accuracy"));

  // A version MLflow deleted (stage Deleted_Internal) is gone for itwin too.
  std::string meta2 = slurp(model + "/version-2/meta.yaml");
  TempDir scratch;
  std::string edited = std::regex_replace(meta2, std::regex("current_stage: None"),
                                          "current_stage: Deleted_Internal");
  run_shell("cat > " + model + "/version-2/meta.yaml < " + scratch.write("m.yaml", edited));
  CHECK_THAT(run_shell(env + itwin_bin() + " models show blobs").out, Contains("blobs version 1"));
  // The next registration still never reuses a number MLflow has seen.
  CHECK_THAT(run_shell(env + itwin_bin() + " models register " + d.path() + "/r1 --name blobs").out,
             Contains("registered blobs version 3"));
}
