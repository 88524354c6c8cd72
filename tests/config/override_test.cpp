#include <catch2/catch.hpp>

#include "../names.hpp"
#include "config_fixture.hpp"

using namespace itwin;
using Catch::Matchers::Contains;

TEST_CASE("override: --set reaches steps by name and is typed", "[config]") {
  auto cfg = test::load_text(
      test::minimal_pipeline(),
      {"pipelines.training.steps.train.epochs=7", "pipelines.training.steps.2.batch_size=32"});
  CHECK(test::trainer_of(cfg).epochs == 7);
  CHECK(test::trainer_of(cfg).batch_size == 32);
}

TEST_CASE("override: --set on vars flows through interpolation", "[config]") {
  auto cfg = test::load_text(
      "vars: {lr: 0.1}\n" + test::minimal_pipeline("        optimizer:\n          lr: ${lr}\n"),
      {"vars.lr=0.25"});
  CHECK(test::trainer_of(cfg).optimizer.lr == Approx(0.25));
}

TEST_CASE("override: values are YAML, so lists and maps work", "[config]") {
  auto cfg = test::load_text(test::minimal_pipeline(),
                             {"pipelines.training.steps.train.metrics=[accuracy, top3]",
                              "pipelines.training.steps.train.optimizer={name: sgd, lr: 0.3}"});
  const auto& t = test::trainer_of(cfg);
  CHECK(test::metric_names(t.metrics) == std::vector<std::string>{"accuracy", "top3"});
  CHECK(test::name(t.optimizer.name) == "sgd");
  CHECK(t.optimizer.lr == Approx(0.3));
}

TEST_CASE("override: later --set wins", "[config]") {
  auto cfg = test::load_text(test::minimal_pipeline(), {"run.seed=1", "run.seed=2"});
  CHECK(cfg.run.seed == 2);
}

TEST_CASE("override: a wrong type names the --set", "[config]") {
  auto msg =
      test::config_error(test::minimal_pipeline(), {"pipelines.training.steps.train.epochs=many"});
  CHECK_THAT(msg, Contains("--set #1 'pipelines.training.steps.train.epochs=many'"));
  CHECK_THAT(msg, Contains("'epochs' must be an integer, got 'many'"));
}

TEST_CASE("override: an unknown key through --set is caught with a suggestion", "[config]") {
  auto msg =
      test::config_error(test::minimal_pipeline(), {"pipelines.training.steps.train.epoch=3"});
  CHECK_THAT(msg, Contains("unknown key 'epoch'"));
  CHECK_THAT(msg, Contains("did you mean 'epochs'?"));
}

TEST_CASE("override: malformed specs and bad paths", "[config]") {
  CHECK_THAT(test::config_error(test::minimal_pipeline(), {"novalue"}),
             Contains("expected KEY.PATH=VALUE"));
  CHECK_THAT(test::config_error(test::minimal_pipeline(), {"a..b=1"}), Contains("empty segment"));
  CHECK_THAT(
      test::config_error(test::minimal_pipeline(), {"pipelines.training.steps.trian.epochs=1"}),
      Contains("no item named 'trian' in this list (did you mean 'train'?)"));
  CHECK_THAT(test::config_error(test::minimal_pipeline(), {"pipelines.training.steps.9.epochs=1"}),
             Contains("index 9 is out of range"));
}
