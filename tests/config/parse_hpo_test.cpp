// The hpo: section: defaults, and every bad input as a located error.
#include <fstream>
#include <set>
#include <sstream>

#include "../helpers.hpp"
#include "../hpo/hpo_fixture.hpp"
#include "itwin/config/catalogs.hpp"
#include "itwin/hpo/check.hpp"

using namespace itwin;
using Catch::Contains;
using itwin::test::hpo_error;
using itwin::test::spec_of;

namespace {
const char* kLr = "    pipelines.training.steps.train.optimizer.lr: ";
std::string space(const std::string& entry) {
  return std::string("  space:\n") + kLr + entry + "\n";
}
}  // namespace

TEST_CASE("hpo config: defaults", "[hpo][config]") {
  auto h = spec_of(space("{type: loguniform, low: 1e-4, high: 0.1}"));
  CHECK(h.present);
  CHECK(h.pipeline == "training");
  CHECK(h.metric == "val_loss");
  CHECK(h.mode == config::Mode::Min);
  CHECK(h.score == config::ScoreKind::Last);
  CHECK(h.trials == 10);
  CHECK(h.concurrency == 0);
  CHECK(h.ranks_per_trial == 1);
  CHECK(h.fork_trials);  // isolation: fork
  CHECK_FALSE(
      spec_of("  isolation: exec\n" + space("{type: uniform, low: 0.01, high: 0.1}")).fork_trials);
  CHECK_THAT(hpo_error("  isolation: thread\n" + space("{type: uniform, low: 0.01, high: 0.1}")),
             Contains("hpo: 'isolation' must be fork or exec, not 'thread'"));
  CHECK(h.sampler.kind == config::SamplerKind::Random);
  CHECK(h.scheduler.kind == config::TrialSchedulerKind::Fifo);
  CHECK(h.scheduler.max_t == 9);  // the trainer's epochs
  CHECK(h.dir == "runs/study-hpo");
  CHECK(h.space.at(0).where == "study.yaml:14:5");
  auto a = spec_of("  scheduler: asha\n" + space("{type: uniform, low: 0.01, high: 0.1}"));
  CHECK(a.scheduler.reduction_factor == 4);
  CHECK(a.scheduler.grace_period == 1);
  CHECK(spec_of("  scheduler: hyperband\n" + space("{type: uniform, low: 0.01, high: 0.1}"))
            .scheduler.reduction_factor == 3);
  CHECK_FALSE(
      config::load_config_text(
          "pipelines:\n  p:\n    steps:\n      - {name: data, type: dataset, format: synthetic}\n"
          "      - {name: model, type: model, arch: mlp}\n      - {name: train, type: trainer}\n",
          "x.yaml")
          .hpo.present);
}

TEST_CASE("hpo config: ranges that are empty, reversed or not positive on a log scale",
          "[hpo][config]") {
  CHECK_THAT(hpo_error(space("{type: uniform, low: 0.1, high: 0.1}")),
             Contains("study.yaml:14:82: hpo.space 'pipelines.training.steps.train.optimizer.lr': "
                      "'high' equals 'low': the range is empty"));
  CHECK_THAT(hpo_error(space("{type: uniform, low: 0.5, high: 0.1}")),
             Contains("'high' is below 'low': the range is reversed"));
  CHECK_THAT(hpo_error(space("{type: loguniform, low: 0, high: 0.1}")),
             Contains("'low' must be > 0 for a log scale, got 0.0"));
  CHECK_THAT(hpo_error(space("{type: logint, low: -4, high: 8}")),
             Contains("'low' must be > 0 for a log scale"));
  CHECK_THAT(hpo_error(space("{type: int, low: 1.5, high: 8}")),
             Contains("'low' must be an integer for type int"));
  CHECK_THAT(hpo_error(space("{type: quniform, low: 0, high: 1}")),
             Contains("type quniform needs 'step'"));
  CHECK_THAT(hpo_error(space("{type: quniform, low: 0, high: 1, step: 2}")),
             Contains("'step' is larger than the range"));
  CHECK_THAT(hpo_error(space("{type: uniform, low: 0}")),
             Contains("type uniform needs 'low' and 'high'"));
  CHECK_THAT(hpo_error(space("{type: choice, values: []}")),
             Contains("'values' must be a non-empty list"));
  CHECK_THAT(hpo_error(space("{type: choice, values: [1, 2, 1]}")),
             Contains("value 1 is listed twice"));
  CHECK_THAT(hpo_error(space("{type: logunifrom, low: 1, high: 2}")),
             Contains("did you mean 'loguniform'?"));
  CHECK_THAT(hpo_error(space("{type: uniform, low: 1, high: 2, lo: 3}")),
             Contains("unknown key 'lo'"));
  CHECK_THAT(hpo_error(space("0.1")), Contains("expected a map like {type: loguniform"));
  CHECK_THAT(hpo_error("  trials: 3\n"), Contains("'space' must be a map of config key paths"));
}

TEST_CASE("hpo config: grid only where the sampler can use it", "[hpo][config]") {
  CHECK_THAT(hpo_error("  sampler: tpe\n" + space("{type: grid, values: [0.1, 0.01]}")),
             Contains("study.yaml:15:5: hpo.space 'pipelines.training.steps.train.optimizer.lr': "
                      "the tpe sampler cannot use a grid parameter"));
  CHECK_THAT(hpo_error("  sampler: grid\n" + space("{type: uniform, low: 0.01, high: 0.1}")),
             Contains("the grid sampler enumerates grid parameters only; this one is uniform"));
  CHECK(hpo_error("  sampler: random\n" + space("{type: grid, values: [0.1, 0.01]}")).empty());
}

TEST_CASE("hpo config: conditions name an earlier choice and its values", "[hpo][config]") {
  const std::string name =
      "    pipelines.training.steps.train.optimizer.name: {type: choice, values: [sgd, adam]}\n";
  const std::string mom =
      "    pipelines.training.steps.train.optimizer.momentum: {type: uniform, low: 0, high: 0.9, "
      "when: ";
  auto ok = spec_of("  space:\n" + name + mom +
                    "{pipelines.training.steps.train.optimizer.name: sgd}}\n");
  CHECK(ok.space[1].when_key == "pipelines.training.steps.train.optimizer.name");
  CHECK(ok.space[1].when_values == std::vector<size_t>{0});
  CHECK_THAT(hpo_error("  space:\n" + name + mom +
                       "{pipelines.training.steps.train.optimizer.name: sdg}}\n"),
             Contains("'when' value sdg is not one of "
                      "pipelines.training.steps.train.optimizer.name's values (sgd, adam)"));
  CHECK_THAT(hpo_error("  space:\n" + mom +
                       "{pipelines.training.steps.train.optimizer.name: sgd}}\n" + name),
             Contains("'when' must name a choice or grid parameter listed before it"));
  CHECK_THAT(hpo_error("  space:\n    vars.hidden: {type: choice, values: [[8]]}\n    "
                       "vars.hidden.x: {type: uniform, low: 0, high: 1}\n"),
             Contains("overlaps 'vars.hidden'"));
}

TEST_CASE("hpo config: the metric must be one the pipeline reports every epoch", "[hpo][config]") {
  CHECK_THAT(hpo_error("  metric: val_los\n" + space("{type: uniform, low: 0.01, high: 0.1}")),
             Contains("study.yaml:13:11: the pipeline file.hpo: 'metric' names 'val_los', which "
                      "pipeline 'training' never reports per epoch (did you mean 'val_loss'?); it "
                      "reports: train_loss, train_accuracy, val_loss, val_accuracy, lr"));
  CHECK_THAT(
      hpo_error("  metric: test_accuracy\n" + space("{type: uniform, low: 0.01, high: 0.1}")),
      Contains("never reports per epoch"));
  CHECK_THAT(hpo_error("  pipeline: trainig\n" + space("{type: uniform, low: 0.01, high: 0.1}")),
             Contains("(did you mean 'training'?)"));
  CHECK_THAT(hpo_error("  mode: maximum\n" + space("{type: uniform, low: 0.01, high: 0.1}")),
             Contains("'mode' must be one of min, max"));
  CHECK_THAT(hpo_error("  scheduler: {name: asha, max_t: 20}\n" +
                       space("{type: uniform, low: 0.01, high: 0.1}")),
             Contains("'max_t' is more than the trainer's 9 epochs"));
  CHECK_THAT(hpo_error("  scheduler: {name: median, brackets: 2}\n" +
                       space("{type: uniform, low: 0.01, high: 0.1}")),
             Contains("unknown key 'brackets'"));
}

TEST_CASE("hpo config: the trials' metrics.jsonl must be written", "[hpo][config]") {
  auto err = [&](const std::string& loggers) {
    try {
      config::load_config_text(
          loggers + itwin::test::study_yaml(space("{type: uniform, low: 0.01, high: 0.1}")),
          "s.yaml");
    } catch (const ConfigError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  CHECK_THAT(err("loggers: [{type: csv}]\n"), Contains("add {type: jsonl} to loggers"));
  CHECK(err("loggers: [jsonl, {type: mlflow}]\n").empty());
}

TEST_CASE("hpo check: every space key path must reach a key the pipeline reads", "[hpo][config]") {
  test::TempDir d;
  auto check = [&](const std::string& hpo) -> std::string {
    std::string path = d.write("s.yaml", itwin::test::study_yaml(hpo));
    try {
      auto cfg = config::load_config(path);
      hpo::check_space(cfg, path, {});
    } catch (const ConfigError& e) {
      return e.what();
    }
    return "";
  };
  CHECK(check(space("{type: uniform, low: 0.01, high: 0.1}")).empty());
  auto typo = check(
      "  space:\n    pipelines.training.steps.train.optimizer.lrr: {type: uniform, low: 0.01, "
      "high: 0.1}\n");
  CHECK_THAT(typo,
             Contains("s.yaml:14:5: hpo.space 'pipelines.training.steps.train.optimizer.lrr'"));
  CHECK_THAT(typo, Contains("unknown key 'lrr'"));
  CHECK_THAT(typo, Contains("did you mean 'lr'?"));
  CHECK_THAT(
      check("  space:\n    pipelines.training.steps.trian.epochs: {type: int, low: 1, high: 3}\n"),
      Contains("no item named 'trian' in this list (did you mean 'train'?)"));
  CHECK_THAT(check("  space:\n    vars.hiden: {type: choice, values: [[8]]}\n"),
             Contains("the file defines no such variable under vars:"));
  CHECK_THAT(check("  space:\n    pipelines.training.steps.train.optimizer.name: {type: choice, "
                   "values: [sgd, adamm]}\n"),
             Contains("with the value adamm the pipeline does not load"));
  // momentum is read only for sgd: checked with its condition applied.
  CHECK(
      check(
          "  space:\n"
          "    pipelines.training.steps.train.optimizer.name: {type: choice, values: [sgd, adam]}\n"
          "    pipelines.training.steps.train.optimizer.momentum:\n"
          "      {type: uniform, low: 0, high: 0.9, when: "
          "{pipelines.training.steps.train.optimizer.name: sgd}}\n")
          .empty());
}

TEST_CASE("hpo check: the ranks must fit", "[hpo][config]") {
  auto h = spec_of("  ranks_per_trial: 2\n" + space("{type: uniform, low: 0.01, high: 0.1}"));
  CHECK_THROWS_WITH(
      hpo::plan_concurrency(h, 1),
      Contains("study.yaml:13:20: hpo: ranks_per_trial 2 is more than the 1 ranks available"));
  CHECK(hpo::plan_concurrency(h, 4) == 2);
  CHECK(hpo::plan_concurrency(h, 0) == 1);
  auto c = spec_of("  concurrency: 3\n" + space("{type: uniform, low: 0.01, high: 0.1}"));
  CHECK_THROWS_WITH(
      hpo::plan_concurrency(c, 2),
      Contains("concurrency 3 x ranks_per_trial 1 needs 3 ranks, but 2 are available"));
  CHECK(hpo::plan_concurrency(c, 0) == 3);
}

TEST_CASE("hpo config: docs/config.md lists exactly what the hpo catalogs hold", "[hpo][config]") {
  std::ifstream in(test::source_root() + "/docs/config.md");
  REQUIRE(in);
  std::stringstream doc;
  doc << in.rdbuf();
  for (const auto& c : config::hpo_catalogs()) {
    INFO("catalog "
         << c.key << ": run `itwin components --markdown` and paste its block into docs/config.md");
    std::set<std::string> seen;
    for (const auto& [name, summary] : c.items) CHECK(seen.insert(name).second);
    CHECK(doc.str().find(config::catalog_markdown(c)) != std::string::npos);
  }
}
