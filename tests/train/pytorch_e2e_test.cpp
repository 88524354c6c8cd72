// End to end with the built binary and real Python PyTorch: TorchScript in,
// state dicts out, kill -9 and resume, bad input.

#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "../helpers.hpp"

using namespace itwin::test;
using Catch::Matchers::Contains;
namespace fs = std::filesystem;

namespace {

std::string synthetic_pipeline(const std::string& model, int epochs, int samples = 1000) {
  return "run: {seed: 5}\n"
         "pipelines:\n  training:\n    steps:\n"
         "      - {name: data, type: dataset, format: synthetic, synthetic: {samples: " +
         std::to_string(samples) +
         ", features: 16, classes: 4, noise: 1.0}}\n"
         "      - " +
         model +
         "\n"
         "      - {name: train, type: trainer, epochs: " +
         std::to_string(epochs) + ", batch_size: 32}\n";
}

}  // namespace

TEST_CASE("e2e: a TorchScript model made in Python trains and comes back to Python",
          "[python][train]") {
  TempDir d;
  REQUIRE(run_shell(pytorch_helper("make-ts " + d.path() + "/mlp.pt 16 4")).exit_code == 0);
  std::string cfg = d.write(
      "p.yaml",
      synthetic_pipeline(
          "{name: model, type: model, arch: torchscript, path: " + d.path() + "/mlp.pt}", 3));
  auto r = run_shell(itwin_bin() + " train " + cfg + " --run-dir " + d.path() + "/run");
  INFO(r.out);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Contains("model: torchscript"));
  CHECK(fs::exists(d.path() + "/run/model.ts.pt"));
  auto check = run_shell(pytorch_helper("check-ts " + d.path() + "/mlp.pt " + d.path() +
                                        "/run/model.pt " + d.path() + "/run/model.ts.pt"));
  INFO(check.out);
  CHECK(check.exit_code == 0);
}

TEST_CASE("e2e: Fashion-MNIST CNN weights load into the PyTorch tutorial CNN and predict the same",
          "[python][train]") {
  TempDir d;
  std::string ex = source_root() + "/use-cases/fashion-mnist/pipeline.yaml";
  auto t = run_shell(itwin_bin() + " train " + ex + " --set run.root=" + d.path() +
                     " --set pipelines.training.steps.train.max_steps=60 --set vars.epochs=1");
  INFO(t.out);
  REQUIRE(t.exit_code == 0);
  CHECK_THAT(t.out, Contains("test_accuracy"));
  auto i = run_shell(itwin_bin() + " infer " + ex + " --set run.root=" + d.path());
  INFO(i.out);
  REQUIRE(i.exit_code == 0);
  CHECK_THAT(i.out, Contains("predicted 10000 samples of the test split, accuracy"));
  auto p = run_shell(pytorch_helper("cnn-predict " + d.path() + "/fashion-mnist/model.pt " +
                                    d.path() + "/fashion-mnist/predictions.csv 500"));
  INFO(p.out);
  CHECK(p.exit_code == 0);
}

TEST_CASE("e2e: a run killed mid-epoch resumes to the same final weights", "[python][train]") {
  TempDir d;
  std::string model = "{name: model, type: model, arch: mlp, hidden: [512, 512], dropout: 0.2}";
  std::string cfg = d.write("p.yaml", synthetic_pipeline(model, 3, 30000));
  auto whole =
      run_shell(itwin_bin() + " train " + cfg + " --threads 1 --run-dir " + d.path() + "/whole");
  INFO(whole.out);
  REQUIRE(whole.exit_code == 0);

  // The same run, killed with SIGKILL once the first checkpoint is in place.
  auto killed = start_background(
      {itwin_bin(), "train", cfg, "--threads", "1", "--run-dir", d.path() + "/split"},
      d.path() + "/killed.log");
  REQUIRE(killed.kill_when_exists(d.path() + "/split/checkpoints/epoch-0001/state.json", 120));
  CHECK_FALSE(fs::exists(d.path() + "/split/model.pt"));  // it died before finishing

  auto resumed = run_shell(itwin_bin() + " train " + cfg + " --threads 1 --resume --run-dir " +
                           d.path() + "/split");
  INFO(resumed.out);
  REQUIRE(resumed.exit_code == 0);
  CHECK_THAT(resumed.out, Contains("(1 epochs done"));
  auto same = run_shell(
      pytorch_helper("same-state " + d.path() + "/whole/model.pt " + d.path() + "/split/model.pt"));
  INFO(same.out);
  CHECK(same.exit_code == 0);
}

TEST_CASE("e2e: bad training input gives clear errors and non-zero exits", "[train]") {
  TempDir d;
  auto missing =
      run_shell(itwin_bin() + " train " + source_root() +
                "/use-cases/fashion-mnist/pipeline.yaml --set vars.data_dir=" + d.path() +
                "/nodata --set run.root=" + d.path());
  CHECK(missing.exit_code == 1);
  CHECK_THAT(missing.out, Contains("no file 'train-images-idx3-ubyte[.gz]'"));
  CHECK_THAT(missing.out, Contains("the directory does not exist"));

  std::string cnn =
      d.write("cnn.yaml", synthetic_pipeline("{name: model, type: model, arch: cnn}", 1));
  auto shape = run_shell(itwin_bin() + " train " + cnn + " --run-dir " + d.path() + "/r1");
  CHECK(shape.exit_code == 2);  // the config's cause, found before anything is written
  CHECK_THAT(shape.out,
             Contains("cnn.yaml:6:9: step 'model' (model): model 'cnn' needs an image [C, H, W]"));
  CHECK_FALSE(fs::exists(d.path() + "/r1"));

  std::string opt =
      d.write("opt.yaml", synthetic_pipeline("{name: model, type: model, arch: mlp}", 1));
  auto bad_opt = run_shell(itwin_bin() + " train " + opt +
                           " --set pipelines.training.steps.train.optimizer=adamax");
  CHECK(bad_opt.exit_code == 2);
  CHECK_THAT(bad_opt.out, Contains("got 'adamax' (did you mean 'adam'?)"));

  auto nothing =
      run_shell(itwin_bin() + " train " + opt + " --resume --run-dir " + d.path() + "/empty");
  CHECK(nothing.exit_code == 2);
  CHECK_THAT(nothing.out, Contains("no checkpoints"));

  // A run directory that holds a run is never overwritten.
  REQUIRE(run_shell(itwin_bin() + " train " + opt + " --run-dir " + d.path() + "/r2").exit_code ==
          0);
  auto again = run_shell(itwin_bin() + " train " + opt + " --run-dir " + d.path() + "/r2");
  CHECK(again.exit_code == 2);
  CHECK_THAT(again.out, Contains("already holds a run"));
  CHECK_THAT(again.out, !Contains("terminate called"));
}

TEST_CASE("e2e: run.device cuda without CUDA is a clear error, nothing written; cpu and auto train",
          "[train][device]") {
  TempDir d;
  std::string cfg =
      d.write("p.yaml", synthetic_pipeline("{name: model, type: model, arch: mlp}", 1, 300));
  auto cuda = run_shell(itwin_bin() + " train " + cfg + " --set run.device=cuda --run-dir " +
                        d.path() + "/c");
  INFO(cuda.out);
  if (cuda.exit_code == 0) {
    WARN("skipped: this machine has a GPU and a CUDA LibTorch");
    return;
  }
  CHECK(cuda.exit_code == 2);
  CHECK_THAT(cuda.out, Contains("run.device: cuda, but"));
  CHECK_FALSE(fs::exists(d.path() + "/c"));
  for (const char* dev : {"cpu", "auto"}) {
    const std::string run = d.path() + "/" + dev;
    auto r =
        run_shell(itwin_bin() + " train " + cfg + " --set run.device=" + dev + " --run-dir " + run);
    INFO(r.out);
    CHECK(r.exit_code == 0);
    // Every rank's device is on record (here the CPU: Debian's LibTorch has no CUDA).
    for (const char* file : {"/summary.json", "/provenance.json"}) {
      std::ifstream in(run + file);
      auto j = nlohmann::json::parse(in, nullptr, false);
      INFO(file);
      CHECK(j.value("devices", nlohmann::json::array()) == nlohmann::json::array({"cpu"}));
    }
  }
  // Refused before the run directory exists: a rerun with the fix may use the same --run-dir.
  auto half = run_shell(itwin_bin() + " train " + cfg +
                        " --set pipelines.training.steps.train.precision=fp16 --set run.device=cpu "
                        "--run-dir " +
                        d.path() + "/half");
  CHECK(half.exit_code == 2);
  CHECK_THAT(half.out, Contains("step 'train' (trainer): precision: fp16 needs a GPU"));
  CHECK_FALSE(fs::exists(d.path() + "/half"));
}
