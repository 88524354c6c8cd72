// The step graph: each step's needs are met by earlier steps, or the file is rejected where the
// step is.
#include <catch2/catch.hpp>

#include "config_fixture.hpp"

using namespace itwin;
using Catch::Matchers::Contains;

namespace {
const std::string kPipe = "pipelines:\n  training:\n    steps:\n";
}

TEST_CASE("steps: a trainer before its dataset is rejected at the trainer", "[config][steps]") {
  std::string msg =
      test::config_error(kPipe +
                         "      - {name: model, type: model, arch: torchscript, path: m.pt}\n"
                         "      - {name: train, type: trainer}\n"
                         "      - {name: data, type: dataset, format: synthetic}\n");
  CHECK_THAT(msg, Contains("test.yaml:5:9: pipeline 'training': step 'train' (trainer) needs a "
                           "dataset step before it"));
}

TEST_CASE("steps: every kind of need is checked", "[config][steps]") {
  CHECK_THAT(test::config_error(kPipe + "      - {name: m, type: model, arch: mlp}\n"),
             Contains("step 'm' (model) needs a dataset step before it (a 'mlp' model takes its "
                      "input and output "
                      "sizes from the data)"));
  CHECK_THAT(test::config_error(kPipe + "      - {name: d, type: dataset, format: synthetic}\n"
                                        "      - {name: t, type: trainer}\n"),
             Contains("step 't' (trainer) needs a model step before it"));
  CHECK_THAT(test::config_error(kPipe + "      - {name: d, type: dataset, format: synthetic}\n"
                                        "      - {name: p, type: predictor}\n"),
             Contains("step 'p' (predictor) needs a model step before it"));
  CHECK_THAT(
      test::config_error(kPipe + "      - {name: s, type: saver, path: o.csv}\n"),
      Contains(
          "test.yaml:4:9: pipeline 'training': step 's' (saver) needs a predictor step before it"));
}

TEST_CASE("steps: what does not need data runs without it", "[config][steps]") {
  CHECK(test::config_error(
            kPipe + "      - {name: m, type: model, arch: torchscript, path: m.pt}\n") == "");
  CHECK(test::config_error(kPipe + "      - {name: c, type: command, argv: [true]}\n") == "");
  CHECK(test::config_error(kPipe + "      - {name: d, type: dataset, format: synthetic}\n"
                                   "      - {name: m, type: model, arch: mlp}\n"
                                   "      - {name: p, type: predictor}\n"
                                   "      - {name: s, type: saver, path: o.csv}\n") == "");
}
