// The catalogs: one list per plug-in point, the docs print them, and every
// unknown name is a located config error.
#include "itwin/config/catalogs.hpp"

#include <catch2/catch.hpp>
#include <fstream>
#include <set>
#include <sstream>

#include "../helpers.hpp"
#include "config_fixture.hpp"
#include "itwin/config/slurm_spec.hpp"

using namespace itwin;
using Catch::Matchers::Contains;
using Catch::Matchers::Matches;

TEST_CASE("catalogs: names are unique and summaries non-empty", "[config][catalog]") {
  for (const auto& c : config::all_catalogs()) {
    INFO("catalog " << c.key);
    std::set<std::string> seen;
    CHECK_FALSE(c.items.empty());
    for (const auto& [name, summary] : c.items) {
      CHECK(seen.insert(name).second);
      CHECK_FALSE(summary.empty());
    }
  }
}

TEST_CASE("catalogs: docs/config.md lists exactly what the catalogs hold", "[config][catalog]") {
  std::ifstream in(test::source_root() + "/docs/config.md");
  REQUIRE(in);
  std::stringstream doc;
  doc << in.rdbuf();
  for (const auto& c : config::all_catalogs()) {
    INFO("catalog "
         << c.key << ": run `itwin components --markdown` and paste its block into docs/config.md");
    bool listed = doc.str().find(config::catalog_markdown(c)) != std::string::npos;
    CHECK(listed);
  }
}

namespace {

// A pipeline with `line` in the trainer (or elsewhere when it starts at column 0).
std::string with_trainer(const std::string& keys) { return test::minimal_pipeline(keys); }

struct Probe {
  const char* what;
  std::string yaml;
  const char* where;  ///< "test.yaml:LINE:COL" of the bad value
};

}  // namespace

TEST_CASE("catalogs: an unknown name at every plug-in point is a located error",
          "[config][catalog]") {
  const std::string pipe = "pipelines:\n  training:\n    steps:\n";
  const std::vector<Probe> probes = {
      {"step type", pipe + "      - {name: x, type: datset}\n", "test.yaml:4:25"},
      {"dataset format", pipe + "      - {name: x, type: dataset, format: nzp}\n",
       "test.yaml:4:42"},
      {"synthetic task",
       pipe + "      - {name: x, type: dataset, format: synthetic, synthetic: {task: regresion}}\n",
       "test.yaml:4:71"},
      {"dataset task",
       pipe + "      - {name: x, type: dataset, format: npz, path: a.npz, task: classify}\n",
       "test.yaml:4:66"},
      {"normalize",
       pipe + "      - {name: x, type: dataset, format: synthetic, normalize: standrd}\n",
       "test.yaml:4:64"},
      {"model arch",
       pipe + "      - {name: x, type: dataset, format: synthetic}\n      - {name: m, type: model, "
              "arch: cnm}\n",
       "test.yaml:5:38"},
      {"optimizer", with_trainer("        optimizer: adma\n"), "test.yaml:9:20"},
      {"scheduler", with_trainer("        scheduler: cosin\n"), "test.yaml:9:20"},
      {"loss", with_trainer("        loss: cross_entrpy\n"), "test.yaml:9:15"},
      {"metric", with_trainer("        metrics: [acuracy]\n"), "test.yaml:9:18"},
      {"early-stopping mode",
       with_trainer("        early_stopping: {patience: 1, mode: minimum}\n"), "test.yaml:9:45"},
      {"checkpoint mode", with_trainer("        checkpoint: {best_mode: maximum}\n"),
       "test.yaml:9:33"},
      {"backend", "distributed: {backend: glo}\n" + with_trainer(""), "test.yaml:1:24"},
      {"strategy", "distributed: {strategy: zero2}\n" + with_trainer(""), "test.yaml:1:25"},
      {"compression", "distributed: {compression: fp8}\n" + with_trainer(""), "test.yaml:1:28"},
      {"logger", "loggers: [{type: mlfow}]\n" + with_trainer(""), "test.yaml:1:18"},
      {"resume", "run: {resume: always}\n" + with_trainer(""), "test.yaml:1:15"},
      {"predictor split", pipe + "      - {name: p, type: predictor, split: tests}\n",
       "test.yaml:4:43"},
      {"predictor output", pipe + "      - {name: p, type: predictor, output: prob}\n",
       "test.yaml:4:44"},
      {"saver format", pipe + "      - {name: s, type: saver, path: o.csv, format: json}\n",
       "test.yaml:4:53"},
  };
  for (const auto& p : probes) {
    INFO(p.what << ":\n" << p.yaml);
    std::string msg = test::config_error(p.yaml);
    CHECK_THAT(msg, Contains(p.where));
    CHECK_THAT(msg, Contains("must be one of") || Contains("unknown step type") ||
                        Contains("unknown metric"));
  }
  // Cluster profiles are data files: an unknown one names the built-in ones.
  std::string profile = test::config_error("slurm: {profile: juwels}\n" + with_trainer(""));
  CHECK_THAT(profile, Contains("test.yaml:1:18"));
  for (const auto& name : config::builtin_profiles()) CHECK_THAT(profile, Contains(name));
}

TEST_CASE("catalogs: metrics that cannot apply to the loss are rejected", "[config][catalog]") {
  CHECK_THAT(
      test::config_error(with_trainer("        loss: mse\n        metrics: [accuracy]\n")),
      Contains(
          "'accuracy', a metric of class labels, but loss 'mse' trains on real-valued targets"));
  CHECK_THAT(test::config_error(with_trainer("        metrics: [top0]\n")),
             Contains("unknown metric 'top0'"));
}
