// Every kind of bad input gets file:line:col, what was expected, exit code 2.
#include <catch2/catch.hpp>

#include "../names.hpp"
#include "config_fixture.hpp"

using namespace itwin;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

TEST_CASE("errors: unknown keys suggest the closest known key", "[config]") {
  auto msg = test::config_error(test::minimal_pipeline(
      "        learning_rte: 0.1\n        epochs: 2\n        bach_size: 3\n"));
  CHECK_THAT(
      msg, StartsWith("test.yaml:9:9: unknown key 'learning_rte' in step 'train' (type trainer)"));
  auto msg2 = test::config_error(test::minimal_pipeline("        bach_size: 3\n"));
  CHECK_THAT(msg2, Contains("did you mean 'batch_size'?"));
}

TEST_CASE("errors: unknown top-level keys", "[config]") {
  auto msg = test::config_error("pipeline:\n  x: 1\n" + test::minimal_pipeline());
  CHECK_THAT(msg, StartsWith("test.yaml:1:1: unknown key 'pipeline' in the pipeline file"));
  CHECK_THAT(msg, Contains("did you mean 'pipelines'?"));
}

TEST_CASE("errors: wrong types", "[config]") {
  CHECK_THAT(
      test::config_error(test::minimal_pipeline("        epochs: 1.5\n")),
      Contains(
          "test.yaml:9:17: step 'train' (type trainer): 'epochs' must be an integer, got '1.5'"));
  CHECK_THAT(test::config_error(test::minimal_pipeline("        test: maybe\n")),
             Contains("'test' must be true or false, got 'maybe'"));
  CHECK_THAT(test::config_error(test::minimal_pipeline("        metrics: {a: 1}\n")),
             Contains("'metrics' must be a list of strings, got a map"));
  CHECK_THAT(test::config_error(test::minimal_pipeline("        optimizer:\n          lr: fast\n")),
             Contains("test.yaml:10:15: step 'train' (type trainer).optimizer: 'lr' must be a "
                      "number, got 'fast'"));
}

TEST_CASE("errors: out-of-range numbers", "[config]") {
  CHECK_THAT(test::config_error(test::minimal_pipeline("        epochs: 0\n")),
             Contains("'epochs' must be in [1, 1000000], got 0"));
  CHECK_THAT(test::config_error(test::minimal_pipeline("        batch_size: -4\n")),
             Contains("'batch_size' must be in [1, 16777216], got -4"));
  CHECK_THAT(
      test::config_error(test::minimal_pipeline("        optimizer: {name: sgd, momentum: 1.5}\n")),
      Contains("'momentum' must be in [0.0, 1.0], got 1.5"));
  CHECK_THAT(test::config_error("run: {threads: 99999}\n" + test::minimal_pipeline()),
             Contains("'threads' must be in [0, 4096]"));
}

TEST_CASE("errors: choices list the allowed values", "[config]") {
  auto msg = test::config_error(test::minimal_pipeline("        optimizer: adamm\n"));
  CHECK_THAT(msg, Contains("'name' must be one of sgd, adam, adamw, rmsprop, adagrad; got 'adamm' "
                           "(did you mean 'adam'?)"));
  CHECK_THAT(test::config_error(test::minimal_pipeline("        metrics: [acuracy]\n")),
             Contains("unknown metric 'acuracy'"));
}

TEST_CASE("errors: unknown step types suggest a type", "[config]") {
  auto msg = test::config_error(
      "pipelines:\n  training:\n    steps:\n      - name: t\n        type: trainr\n");
  CHECK_THAT(msg, StartsWith("test.yaml:5:15: pipeline 'training' step 1: 'type' names an unknown "
                             "step type 'trainr' (did you mean 'trainer'?)"));
  CHECK_THAT(msg, Contains("known types: dataset, model, trainer, gan_trainer, predictor, "
                           "generate, saver, command"));
}

TEST_CASE("errors: a step without a type", "[config]") {
  CHECK_THAT(test::config_error("pipelines:\n  p:\n    steps:\n      - name: x\n"),
             Contains("missing required key 'type'"));
}

TEST_CASE("errors: duplicate step names", "[config]") {
  auto msg = test::config_error(test::minimal_pipeline(
      "      - name: data\n        type: dataset\n        format: synthetic\n"));
  CHECK_THAT(msg, Contains("test.yaml:9:9: pipeline 'training': duplicate step name 'data' (first "
                           "used at test.yaml:4:9)"));
}

TEST_CASE("errors: format-specific keys are checked per format", "[config]") {
  auto msg = test::config_error(
      "pipelines:\n  p:\n    steps:\n      - {name: d, type: dataset, format: idx, path: /x, "
      "x_key: a}\n");
  CHECK_THAT(msg, Contains("unknown key 'x_key' in step 'd' (type dataset)"));
  CHECK_THAT(test::config_error("pipelines:\n  p:\n    steps:\n      - {name: d, type: dataset, "
                                "format: csv, path: a.csv}\n"),
             Contains("'targets' must name at least one target column"));
  CHECK_THAT(
      test::config_error("pipelines:\n  p:\n    steps:\n      - {name: d, type: dataset}\n"),
      Contains(
          "missing required key 'format' (one of idx, npz, npy, csv, synthetic, netcdf, hdf5)"));
}

TEST_CASE("errors: monitored metrics must exist", "[config]") {
  auto msg = test::config_error(
      test::minimal_pipeline("        early_stopping: {patience: 2, metric: val_acc}\n"));
  CHECK_THAT(msg, Contains("'metric' must be one of train_loss, train_accuracy, val_loss, "
                           "val_accuracy; got 'val_acc'"));
  CHECK_THAT(msg, Contains("did you mean 'val_accuracy'?"));
}

TEST_CASE("errors: pipelines must exist and have steps", "[config]") {
  CHECK_THAT(test::config_error("run: {seed: 1}\n"),
             Contains("'pipelines' must be a map of named pipelines"));
  CHECK_THAT(test::config_error("pipelines:\n  p:\n    steps: []\n"),
             Contains("'steps' must be a non-empty list"));
  CHECK_THAT(test::config_error("- a\n- b\n"), Contains("a pipeline file must be a map"));
}

TEST_CASE("errors: exit code is 2", "[config]") {
  try {
    test::load_text(test::minimal_pipeline("        epochs: x\n"));
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(e.exit_code() == kExitBadInput);
  }
}

TEST_CASE("select: pipelines and step subsets", "[config]") {
  auto cfg = test::load_text(
      test::minimal_pipeline() +
      "  inference:\n    steps:\n      - {name: d, type: dataset, format: synthetic}\n");
  CHECK(config::select_pipeline(cfg, "inference", {}).steps.size() == 1);
  auto cut = config::select_pipeline(cfg, "training", {"model", "data"});
  REQUIRE(cut.steps.size() == 2);
  CHECK(cut.steps[0].name == "data");  // in pipeline order
  CHECK(cut.steps[1].name == "model");
  CHECK_THROWS_WITH(
      config::select_pipeline(cfg, "training", {"train"}),
      Contains(
          "step 'train' (trainer) needs a dataset step before it, which --steps train leaves out"));
  CHECK_THROWS_WITH(config::select_pipeline(cfg, "", {}),
                    Contains("has several pipelines (training, inference)"));
  CHECK_THROWS_WITH(config::select_pipeline(cfg, "trainng", {}),
                    Contains("did you mean 'training'?"));
  CHECK_THROWS_WITH(config::select_pipeline(cfg, "training", {"trian"}),
                    Contains("has no step 'trian' (did you mean 'train'?)"));
}

TEST_CASE("specs: every step type parses its keys", "[config]") {
  auto cfg = test::load_text(
      "pipelines:\n  p:\n    steps:\n"
      "      - {name: d, type: dataset, format: csv, path: a.csv, targets: y, features: [a, b], "
      "delimiter: ';', "
      "task: regression, split: {validation: 0.2, test: 0.1}, normalize: standard}\n"
      "      - {name: m, type: model, arch: lstm, hidden_size: 8, layers: 2}\n"
      "      - {name: t, type: trainer, loss: {name: huber, delta: 2}, metrics: [mae, rmse, r2],"
      " scheduler: {name: multistep, milestones: [2, 4], warmup_epochs: 1}, grad_clip: 1, "
      "grad_accum: 2}\n"
      "      - {name: pr, type: predictor, output: probs}\n"
      "      - {name: s, type: saver, path: out.csv}\n"
      "      - {name: c, type: command, argv: [echo, hi], env: {A: b}}\n");
  const auto& s = cfg.pipelines[0].steps;
  const auto& d = std::get<config::DatasetSpec>(s[0].spec);
  CHECK(d.targets == std::vector<std::string>{"y"});
  CHECK(d.delimiter == ";");
  CHECK(d.split.test == Approx(0.1));
  CHECK(test::name(d.normalize) == "standard");
  CHECK(std::get<config::ModelSpec>(s[1].spec).layers == 2);
  const auto& t = std::get<config::TrainerSpec>(s[2].spec);
  CHECK(test::name(t.loss) == "huber");
  CHECK(t.huber_delta == Approx(2));
  CHECK(t.scheduler.milestones == std::vector<int64_t>{2, 4});
  CHECK(test::name(t.early_stopping.mode) == "min");
  CHECK(test::name(std::get<config::PredictorSpec>(s[3].spec).output) == "probs");
  CHECK(std::get<config::CommandSpec>(s[5].spec).env.at("A") == "b");
}
