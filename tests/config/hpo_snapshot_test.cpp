// A study's config snapshot (includes merged, nothing resolved) and its
// best.yaml (overrides applied, sections dropped).
#include <catch2/catch.hpp>

#include "../helpers.hpp"
#include "itwin/config/hpo_spec.hpp"
#include "itwin/config/pipeline.hpp"

using namespace itwin;
using Catch::Contains;

TEST_CASE("hpo snapshot: includes merged, references kept, overrides applied, hpo dropped",
          "[hpo][config]") {
  test::TempDir d;
  d.write("base.yaml", "vars:\n  lr: 0.1\nrun: {name: base}\n");
  std::string path = d.write(
      "study.yaml",
      "include: base.yaml\n"
      "pipelines:\n  training:\n    steps:\n"
      "      - {name: data, type: dataset, format: synthetic}\n"
      "      - {name: model, type: model, arch: mlp}\n"
      "      - name: train\n        type: trainer\n        optimizer: {name: sgd, lr: \"${lr}\"}\n"
      "hpo:\n  space:\n    vars.lr: {type: loguniform, low: 0.001, high: 0.1}\n");
  std::string snap = config::snapshot_config(path);
  CHECK_THAT(snap, Contains("lr: 0.1"));
  CHECK_THAT(snap, Contains("${lr}"));  // resolved when a trial loads it, as the original would be
  CHECK_THAT(snap, !Contains("include"));
  std::string best = config::apply_to_snapshot(snap, "study.yaml",
                                               {"vars.lr=0.0123", "vars.hidden=[8, 8]"}, {"hpo"});
  CHECK_THAT(best, Contains("lr: 0.0123"));
  CHECK_THAT(best, !Contains("hpo:"));
  auto cfg = config::load_config_text(best, "best.yaml");
  CHECK_FALSE(cfg.hpo.present);
  CHECK(std::get<config::TrainerSpec>(cfg.pipelines.at(0).steps.at(2).spec).optimizer.lr == 0.0123);
  CHECK(config::vars_path_exists(snap, "s", "vars.lr"));
  CHECK_FALSE(config::vars_path_exists(snap, "s", "vars.lrr"));
  CHECK(config::vars_path_exists(snap, "s",
                                 "pipelines.anything"));  // not under vars: the parse decides
}
