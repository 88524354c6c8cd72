// The Virgo use case end to end through the built binary: its pipeline.yaml
// trains the built-in unet1d and the TorchScript twin from models.py on
// generate.py data and removes most of the coupled noise, inference writes
// the predicted noise to HDF5, the weights load in PyTorch, the SLURM
// settings render, and bad files end with the documented exit codes and
// messages naming file and dataset.
#include <catch2/catch.hpp>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "../helpers.hpp"

using namespace itwin;
using Catch::Matchers::Contains;

namespace {

const std::string kPython = "/usr/bin/python3 ";

std::string use_case(const std::string& file) {
  return test::source_root() + "/use-cases/virgo/" + file;
}

// 48 samples of 2 s at 500 Hz (T = 1000), 4 aux channels of which 3 couple.
const std::string& data_file() {
  static test::TempDir dir;
  static const std::string path = [] {
    const std::string p = dir.path() + "/virgo.h5";
    auto r = test::run_shell(kPython + use_case("generate.py") + " --out " + p +
                             " --samples 48 --duration 2");
    INFO(r.out);
    REQUIRE(r.exit_code == 0);
    return p;
  }();
  return path;
}

// The use case at test size: a small network, single thread, jsonl only.
test::ProcResult run_itwin(const std::string& cmd, const std::string& data,
                           const std::string& extra = "") {
  return test::run_shell(
      test::itwin_bin() + " " + cmd + " " + use_case("pipeline.yaml") + " --set vars.data=" + data +
          " --set vars.channels=8 --set vars.depth=2 --set vars.batch_size=8 " + extra,
      600);
}

nlohmann::json summary(const std::string& run) {
  std::ifstream in(run + "/summary.json");
  std::stringstream s;
  s << in.rdbuf();
  return nlohmann::json::parse(s.str(), nullptr, false);
}

// Runs python code with h5py/numpy/torch; its stdout.
test::ProcResult python(const std::string& code) {
  return test::run_shell(kPython + "-c \"" + code + "\"");
}

}  // namespace

TEST_CASE(
    "virgo: unet1d learns the coupled noise, inference writes it to HDF5, weights load in PyTorch",
    "[virgo][cli][slow]") {
  test::TempDir d;
  // Default run naming: <root>/uc, and uc.latest pointing at it for the inference pipeline.
  const std::string named = " --set run.root=" + d.path() + " --set run.name=uc";
  const std::string run = d.path() + "/uc";
  auto r = run_itwin("train", data_file(),
                     "--set vars.epochs=30 --set vars.lr=0.003 --threads 1" + named);
  INFO(r.out);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Contains("data: hdf5 " + data_file() + ": aux [48, 4, 1000] float32") &&
                        Contains("y: coupled"));
  CHECK_THAT(r.out, Contains("model: unet1d (channels 8, depth 2, kernel 7), 22305 parameters"));
  auto s = summary(run);
  REQUIRE_FALSE(s.is_discarded());
  INFO(s.dump());
  CHECK(s["status"] == "FINISHED");
  // r2 here is 1 - sum (coupled - pred)^2 / sum (coupled - mean)^2: the fraction of the coupled
  // noise power removed. An untrained network predicts ~0 (r2 <= 0).
  const double r2 = s["metrics"]["test_r2"];
  CHECK(r2 > 0.6);

  r = run_itwin("infer", data_file(), named.substr(1));
  INFO(r.out);
  REQUIRE(r.exit_code == 0);
  // The test split (10 % of 48: 5 samples), each a predicted series of 1000 steps, and the truth,
  // beside the model of ${run.root}/${run.name}.latest.
  const std::string h5 = run + "/predictions.h5";
  auto py = python("import h5py, numpy as np; f = h5py.File('" + h5 +
                   "'); p, y = f['prediction'][:], f['label'][:]; "
                   "print(p.shape, y.shape, p.dtype, 1 - ((y - p) ** 2).sum() / ((y - y.mean()) "
                   "** 2).sum() > 0.6)");
  INFO(py.out);
  REQUIRE(py.exit_code == 0);
  CHECK_THAT(py.out, Contains("(5, 1000) (5, 1000) float32 True"));

  // The built-in network's state dict is models.py's Unet1d, name for name.
  py = python("import sys, torch; sys.path.insert(0, '" + use_case("") +
              "'); from models import Unet1d; m = Unet1d(4, 8, 2, 7); "
              "m.load_state_dict(torch.load('" +
              run + "/model.pt'), strict=True); print(tuple(m(torch.zeros(1, 4, 1000)).shape))");
  INFO(py.out);
  REQUIRE(py.exit_code == 0);
  CHECK_THAT(py.out, Contains("(1, 1000)"));
}

TEST_CASE("virgo: the TorchScript twin from models.py trains through pipeline training_ts",
          "[virgo][cli][python][slow]") {
  test::TempDir d;
  const std::string ts = d.path() + "/ts/unet1d.ts.pt";
  auto r = test::run_shell(kPython + use_case("models.py") + " --out " + ts +
                           " --aux 4 --channels 8 --depth 2 --kernel 7");
  INFO(r.out);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Contains("22305 parameters"));
  const std::string run = d.path() + "/run";
  r = run_itwin("run", data_file(),
                "--pipeline training_ts --set vars.ts_model=" + ts +
                    " --set vars.epochs=30 --set vars.lr=0.003 --threads 1 --run-dir " + run);
  INFO(r.out);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Contains("model: torchscript"));
  auto s = summary(run);
  REQUIRE_FALSE(s.is_discarded());
  INFO(s.dump());
  CHECK(s["status"] == "FINISHED");
  CHECK(static_cast<double>(s["metrics"]["test_r2"]) > 0.6);
}

TEST_CASE("virgo: validate and SLURM scripts for juwels-booster and generic", "[virgo][cli]") {
  auto r = run_itwin("validate", data_file(), "--resolved");
  INFO(r.out);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Contains("arch: unet1d"));
  for (const std::string profile : {"juwels-booster", "generic"}) {
    r = run_itwin("submit", data_file(), "--profile " + profile + " --dry-run");
    INFO(r.out);
    CHECK(r.exit_code == 0);
    CHECK_THAT(r.out, Contains("#SBATCH --job-name=virgo") && Contains("#SBATCH --time=01:00:00"));
    if (profile == "juwels-booster") CHECK_THAT(r.out, Contains("--partition=booster"));
  }
  // The study's plan: TPE + ASHA over lr, width and depth, maximising val_r2.
  r = test::run_shell(test::itwin_bin() + " hpo " + use_case("hpo.yaml") + " --dry-run");
  INFO(r.out);
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.out, Contains("max val_r2 (best), 12 trials") && Contains("vars.depth") &&
                        Contains("nothing was started (--dry-run)"));
  // An even kernel cannot keep the length: a config error at the key.
  r = run_itwin("validate", data_file(), "--set vars.kernel=6");
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.out, Contains("use-cases/virgo/pipeline.yaml:") &&
                        Contains("must be odd (same padding keeps the length)"));
}

TEST_CASE("virgo: bad files: missing dataset, wrong rank, wrong dtype, NaN", "[virgo][cli]") {
  test::TempDir d;
  const std::string root = " --threads 1 --set run.root=" + d.path();
  // A dataset the file lacks: the config asks for what the file lacks, exit 2 at the step.
  auto r = run_itwin("train", data_file(), "--set pipelines.training.steps.data.x=auxx" + root);
  INFO(r.out);
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.out,
             Contains("use-cases/virgo/pipeline.yaml:") && Contains("step 'data' (dataset)"));
  CHECK_THAT(r.out,
             Contains(data_file()) && Contains("dataset 'auxx'") && Contains("did you mean 'aux'"));
  // Samples of the wrong rank: strain [N, T] is no series of channels (a config error at the step).
  r = run_itwin("train", data_file(), "--set pipelines.training.steps.data.x=strain" + root);
  INFO(r.out);
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.out, Contains("model 'unet1d' needs a series [C, T] per sample, but the data gives "
                             "[1000] (data: hdf5 " +
                             data_file() + ": strain [48, 1000] float32"));
  // A target of the wrong rank.
  r = run_itwin("train", data_file(),
                "--set pipelines.training.steps.data.x=strain --set "
                "'pipelines.training.steps.data.y=[aux]'" +
                    root);
  INFO(r.out);
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.out, Contains("dataset 'aux' has shape [48, 4, 1000]; as y it must be [48] or [48, "
                             "k], one row per sample of 'strain'"));
  // Text where numbers belong (exit 2, as a missing dataset), and a NaN in one aux channel (bad
  // data: exit 1).
  const std::string text = d.path() + "/text.h5", nan = d.path() + "/nan.h5";
  auto py =
      python("import shutil, h5py, numpy as np; shutil.copy('" + data_file() + "', '" + nan +
             "'); f = h5py.File('" + nan +
             "', 'a'); f['aux'][2, 1, 17] = np.nan; f.close(); g = h5py.File('" + text +
             "', 'w'); g['aux'] = np.array([[b'x'] * 3] * 4); g['coupled'] = np.zeros((4, 3))");
  INFO(py.out);
  REQUIRE(py.exit_code == 0);
  r = run_itwin("train", text, root);
  INFO(r.out);
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.out, Contains(text) && Contains("dataset 'aux' has type string, not numbers"));
  r = run_itwin("train", nan, root);
  INFO(r.out);
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.out, Contains(nan + ": dataset 'aux' has 1 NaN or infinite value, the first in "
                                   "sample 2 (flat index 9017)"));
}
