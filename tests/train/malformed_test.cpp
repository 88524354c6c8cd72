// A corpus of malformed weights, checkpoints and data files (written by
// malformed.py with real PyTorch and NumPy layouts): each gives exit 1 or 2
// and a message naming the file, never a crash.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "../helpers.hpp"

using namespace itwin::test;
using Catch::Matchers::Contains;
namespace fs = std::filesystem;

namespace {

struct Corpus {
  TempDir dir;
  Corpus() {
    auto r =
        run_shell("/usr/bin/python3 " + source_root() + "/tests/train/malformed.py " + dir.path());
    INFO(r.out);
    REQUIRE(r.exit_code == 0);
  }
};

Corpus& corpus() {
  static Corpus c;
  return c;
}

// Runs itwin and checks the clean-failure contract.
void expect_clean_error(const std::string& cmd, const std::string& names) {
  auto r = run_shell(cmd, 120);
  INFO(cmd << "\n" << r.out);
  CHECK((r.exit_code == 1 || r.exit_code == 2));
  CHECK_THAT(r.out, Contains(names));
  CHECK_THAT(r.out, !Contains("terminate called"));
  CHECK_THAT(r.out, !Contains("internal error"));
  CHECK_THAT(r.out, !Contains("Exception raised from"));  // a raw LibTorch backtrace
}

std::string with_dataset(const std::string& dataset) {
  return "pipelines:\n  training:\n    steps:\n"
         "      - " +
         dataset +
         "\n"
         "      - {name: model, type: model, arch: mlp, hidden: [8]}\n"
         "      - {name: train, type: trainer, epochs: 1}\n";
}

}  // namespace

TEST_CASE("malformed: weights files never crash and name the file", "[robust]") {
  const std::string dir = corpus().dir.path() + "/weights";
  TempDir d;
  std::string cfg =
      d.write("p.yaml",
              "pipelines:\n  inference:\n    steps:\n"
              "      - {name: data, type: dataset, format: synthetic, synthetic: {samples: 200, "
              "features: 16, classes: 4}}\n"
              "      - {name: model, type: model, arch: mlp, hidden: [32], weights: none.pt}\n"
              "      - {name: predict, type: predictor, split: validation}\n");
  int n = 0;
  for (const auto& e : fs::directory_iterator(dir)) {
    ++n;
    const std::string f = e.path().string();
    expect_clean_error(itwin_bin() + " infer " + cfg + " --run-dir " + d.path() + "/r" +
                           std::to_string(n) +
                           " --set pipelines.inference.steps.model.weights=" + f,
                       e.path().filename().string());
  }
  CHECK(n >= 9);
  auto short_storage = run_shell(itwin_bin() + " infer " + cfg + " --run-dir " + d.path() +
                                 "/s --set pipelines.inference.steps.model.weights=" + dir +
                                 "/zip_short_storage.pt");
  CHECK_THAT(short_storage.out, Contains("a truncated or damaged file"));
}

TEST_CASE("malformed: data files of every format never crash and name the file", "[robust]") {
  const std::string dir = corpus().dir.path() + "/data";
  TempDir d;
  int n = 0;
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string f = e.path().string(), name = e.path().filename().string();
    std::string dataset;
    if (name.rfind("idx_", 0) == 0) {  // an IDX directory holds its files under fixed names
      std::string sub = d.path() + "/" + name;
      fs::create_directories(sub);
      fs::copy_file(f, sub + (name.size() > 3 && name.substr(name.size() - 3) == ".gz"
                                  ? "/train-images-idx3-ubyte.gz"
                                  : "/train-images-idx3-ubyte"));
      dataset = "{name: data, type: dataset, format: idx, path: " + sub + "}";
    } else if (name.rfind("npy_", 0) == 0) {
      dataset = "{name: data, type: dataset, format: npy, path: " + f + ", labels: " + f + "}";
    } else if (name.rfind("npz_", 0) == 0) {
      dataset = "{name: data, type: dataset, format: npz, path: " + f + "}";
    } else {
      dataset = "{name: data, type: dataset, format: csv, path: " + f + ", targets: [label]}";
    }
    ++n;
    std::string cfg = d.write("p" + std::to_string(n) + ".yaml", with_dataset(dataset));
    expect_clean_error(
        itwin_bin() + " train " + cfg + " --run-dir " + d.path() + "/r" + std::to_string(n), name);
  }
  CHECK(n >= 20);
}

TEST_CASE(
    "malformed: damaged checkpoints are named; resume falls back to a readable one, or refuses",
    "[robust][train]") {
  TempDir d;
  std::string cfg = d.write(
      "p.yaml",
      with_dataset("{name: data, type: dataset, format: synthetic, synthetic: {samples: 300}}"));
  const std::string run = d.path() + "/run";
  REQUIRE(run_shell(itwin_bin() + " train " + cfg + " --run-dir " + run +
                    " --set pipelines.training.steps.train.epochs=2")
              .exit_code == 0);
  // epoch-0002 damaged: a field of the wrong type.
  std::ofstream(run + "/checkpoints/epoch-0002/state.json") << "{\"epochs_done\": \"two\"}";
  auto r = run_shell(itwin_bin() + " train " + cfg + " --run-dir " + run +
                     " --resume --set pipelines.training.steps.train.epochs=3");
  INFO(r.out);
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.out, Contains("epoch-0002/state.json: field 'epochs_done' has the wrong type"));
  CHECK_THAT(r.out, Contains("resuming from"));
  // Every checkpoint unreadable: refuse, naming each and why.
  for (const auto& e : fs::directory_iterator(run + "/checkpoints")) {
    std::ofstream(e.path() / "state.json") << "garbage";
  }
  auto refused = run_shell(itwin_bin() + " train " + cfg + " --run-dir " + run +
                           " --resume --set pipelines.training.steps.train.epochs=4");
  INFO(refused.out);
  CHECK(refused.exit_code == 1);
  CHECK_THAT(refused.out, Contains("cannot resume: no checkpoint in"));
  CHECK_THAT(refused.out, Contains("state.json: not a JSON object"));
  // A crash while a checkpoint was being replaced left it hidden: resume finds it.
  const std::string run2 = d.path() + "/run2";
  REQUIRE(run_shell(itwin_bin() + " train " + cfg + " --run-dir " + run2).exit_code == 0);
  for (const auto& e : fs::directory_iterator(run2 + "/checkpoints")) {
    if (e.path().filename() != "best") fs::remove_all(e.path());
  }
  fs::rename(run2 + "/checkpoints/best", run2 + "/checkpoints/.old-best-12345");
  fs::create_directories(run2 + "/checkpoints/.tmp-epoch-0002-999");
  auto found = run_shell(itwin_bin() + " train " + cfg + " --run-dir " + run2 +
                         " --resume --set pipelines.training.steps.train.epochs=2");
  INFO(found.out);
  CHECK(found.exit_code == 0);
  CHECK_THAT(found.out, Contains("restoring it"));
  CHECK_THAT(found.out, Contains("(1 epochs done"));
  CHECK_FALSE(fs::exists(run2 + "/checkpoints/.tmp-epoch-0002-999"));
}
