#include "itwin/config/load.hpp"

#include <catch2/catch.hpp>

#include "../helpers.hpp"
#include "../names.hpp"
#include "config_fixture.hpp"

using namespace itwin;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

TEST_CASE("load: a minimal file gives typed steps with defaults", "[config]") {
  auto cfg = test::load_text(test::minimal_pipeline());
  REQUIRE(cfg.pipelines.size() == 1);
  const auto& p = cfg.pipelines[0];
  CHECK(p.name == "training");
  REQUIRE(p.steps.size() == 3);
  CHECK(std::string(p.steps[0].type()) == "dataset");
  CHECK(test::name(std::get<config::DatasetSpec>(p.steps[0].spec).format) == "synthetic");
  const auto& t = test::trainer_of(cfg);
  CHECK(t.epochs == 1);
  CHECK(t.batch_size == 64);
  CHECK(test::name(t.optimizer.name) == "adam");
  CHECK(t.optimizer.lr == Approx(1e-3));
  CHECK(cfg.run.seed == 42);
  CHECK(cfg.run.name == "test");
}

TEST_CASE("load: marks are 1-based file:line:col", "[config]") {
  auto n = config::load_string("a: 1\nb:\n  c: x\n", "f.yaml");
  const auto* c = n.find("b")->find("c");
  REQUIRE(c);
  CHECK(c->mark.str() == "f.yaml:3:6");
}

TEST_CASE("load: YAML syntax errors name file:line:col", "[config]") {
  auto msg = test::config_error("pipelines:\n  training: [a, b\n");
  CHECK_THAT(msg, StartsWith("test.yaml:"));
  CHECK_THAT(msg, Contains("YAML syntax error"));
}

TEST_CASE("load: a reference inside a flow map gets a hint", "[config]") {
  auto msg = test::config_error("vars: {lr: 1}\nopt: {lr: ${lr}}\n");
  CHECK_THAT(msg, Contains("hint: inside {...}"));
}

TEST_CASE("load: duplicate keys are rejected with both places", "[config]") {
  auto msg = test::config_error("run:\n  seed: 1\n  seed: 2\n" + test::minimal_pipeline());
  CHECK_THAT(msg, Contains("test.yaml:3:3: duplicate key 'seed'"));
  CHECK_THAT(msg, Contains("first defined at test.yaml:2:3"));
}

TEST_CASE("load: a missing config file is a clear error", "[config]") {
  try {
    config::load_config("/nonexistent/dir/pipeline.yaml");
    FAIL("expected an error");
  } catch (const ConfigError& e) {
    CHECK_THAT(e.what(), Contains("cannot read '/nonexistent/dir/pipeline.yaml': no such file"));
    CHECK(e.exit_code() == 2);
  }
}

TEST_CASE("load: top-level include merges underneath, relative to the file", "[config]") {
  test::TempDir d;
  d.write("profiles/base.yaml", "run:\n  seed: 7\n  root: base-runs\nvars:\n  epochs: 3\n");
  std::string main =
      d.write("p.yaml",
              "include: [profiles/base.yaml]\n"
              "run:\n  root: mine\n"
              "pipelines:\n  training:\n    steps:\n"
              "      - {name: data, type: dataset, format: synthetic}\n"
              "      - {name: model, type: model, arch: mlp}\n"
              "      - name: train\n        type: trainer\n        epochs: ${epochs}\n");
  auto cfg = config::load_config(main);
  CHECK(cfg.run.seed == 7);       // from the include
  CHECK(cfg.run.root == "mine");  // the including file wins
  CHECK(test::trainer_of(cfg).epochs == 3);
}

TEST_CASE("load: !include tag replaces a node by a file", "[config]") {
  test::TempDir d;
  d.write("opt.yaml", "name: sgd\nlr: 0.5\n");
  std::string main =
      d.write("p.yaml",
              "pipelines:\n  training:\n    steps:\n"
              "      - {name: data, type: dataset, format: synthetic}\n"
              "      - {name: model, type: model, arch: mlp}\n"
              "      - name: train\n        type: trainer\n        optimizer: !include opt.yaml\n");
  auto cfg = config::load_config(main);
  CHECK(test::name(test::trainer_of(cfg).optimizer.name) == "sgd");
  CHECK(test::trainer_of(cfg).optimizer.lr == Approx(0.5));
}

TEST_CASE("load: include cycles are detected", "[config]") {
  test::TempDir d;
  d.write("a.yaml", "include: b.yaml\n");
  d.write("b.yaml", "include: a.yaml\n");
  try {
    config::load_config(d.path() + "/a.yaml");
    FAIL("expected an error");
  } catch (const ConfigError& e) {
    CHECK_THAT(e.what(), Contains("include cycle"));
    CHECK_THAT(e.what(), Contains("b.yaml:1:10"));
  }
}

TEST_CASE("load: a missing include names the including line", "[config]") {
  test::TempDir d;
  std::string main = d.write("p.yaml", "run: {seed: 1}\ninclude: [nope.yaml]\n");
  try {
    config::load_config(main);
    FAIL("expected an error");
  } catch (const ConfigError& e) {
    CHECK_THAT(e.what(), Contains("p.yaml:2:11: cannot read"));
    CHECK_THAT(e.what(), Contains("nope.yaml"));
  }
}

TEST_CASE("load: the resolved tree round-trips through YAML", "[config]") {
  auto cfg = test::load_text(test::minimal_pipeline("        epochs: 4\n"));
  std::string text = config::to_yaml(cfg.resolved);
  CHECK_THAT(text, Contains("epochs: 4"));
  CHECK_THAT(text, Contains("batch_size: 64"));  // defaults are shown
  auto again = config::load_config_text(text, "resolved.yaml");
  CHECK(test::trainer_of(again).epochs == 4);
  CHECK(config::to_yaml(again.resolved) == text);
}

TEST_CASE("load: the fragments in configs/ include cleanly", "[config]") {
  test::TempDir d;
  std::string root = test::source_root();
  std::string main = d.write(
      "p.yaml", "include: [" + root + "/configs/smoke.yaml, " + root +
                    "/configs/loggers-all.yaml, " + root +
                    "/configs/distributed-gloo.yaml]\n"
                    "vars: {epochs: 5}\n"
                    "pipelines:\n  training:\n    steps:\n"
                    "      - {name: data, type: dataset, format: synthetic}\n"
                    "      - {name: model, type: model, arch: mlp}\n"
                    "      - name: train\n        type: trainer\n        epochs: ${epochs}\n");
  auto cfg = config::load_config(main);
  CHECK(test::trainer_of(cfg).epochs == 5);  // the including file wins over smoke.yaml
  CHECK(cfg.run.threads == 1);
  CHECK(cfg.loggers.size() == 4);
  CHECK(test::name(cfg.distributed.strategy) == "zero1");
}
