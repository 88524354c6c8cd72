// Generative training end to end with the built binary: the 3DGAN use case
// trains and generates showers into HDF5 (on 1 and 2 ranks), its weights load
// in PyTorch, TorchScript networks from Python train, ddp on 2 ranks equals
// 1 rank with the doubled batch, a run killed with SIGKILL resumes exactly,
// and bad configs exit 2 naming file:line:col.
#include <signal.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "../helpers.hpp"

using namespace itwin::test;
using Catch::Matchers::Contains;
namespace fs = std::filesystem;

namespace {

std::string use_case() { return source_root() + "/use-cases/3dgan/pipeline.yaml"; }

std::string helper(const std::string& args) {
  return "/usr/bin/python3 " + source_root() + "/tests/train/gan_helper.py " + args;
}

void ok(const ProcResult& r) {
  INFO(r.out);
  REQUIRE(r.exit_code == 0);
}

std::string showers(const TempDir& d, const std::string& grid, int samples) {
  std::string out = d.path() + "/showers.h5";
  ok(run_shell("/usr/bin/python3 " + source_root() + "/use-cases/3dgan/generate.py --out " + out +
               " --samples " + std::to_string(samples) + " --grid " + grid));
  return out;
}

// The use case at test size: an 8x8x8 grid, small networks, 2 epochs.
std::string small(const std::string& data, const std::string& root) {
  return " --threads 1 --set vars.data=" + data + " --set run.root=" + root +
         " --set vars.grid=[8,8,8] --set vars.g_channels=[8,4] --set vars.d_channels=[4,8] --set "
         "vars.latent=16"
         " --set vars.epochs=2 --set vars.batch_size=16 --set loggers=[jsonl]";
}

// A tiny MLP GAN on the 1-D mixture (gan_helper.py mixture): x [N, 1], condition c.
std::string mlp_gan(const std::string& data, int epochs, int batch, int hidden,
                    const std::string& extra = "") {
  return "run: {seed: 5}\n"
         "pipelines:\n  training:\n    steps:\n"
         "      - {name: data, type: dataset, format: hdf5, path: " +
         data +
         ", x: x, y: [c], split: {validation: 64}}\n"
         "      - {name: g, type: model, arch: mlp, role: generator, latent: 4, hidden: [" +
         std::to_string(hidden) + ", " + std::to_string(hidden) +
         "]}\n"
         "      - {name: d, type: model, arch: mlp, role: discriminator, hidden: [" +
         std::to_string(hidden) + ", " + std::to_string(hidden) +
         "]}\n"
         "      - name: train\n        type: gan_trainer\n        generator: g\n        "
         "discriminator: d\n"
         "        epochs: " +
         std::to_string(epochs) + "\n        batch_size: " + std::to_string(batch) +
         "\n"
         "        loss: wasserstein\n        critic_steps: 2\n        aux_weight: 0.5\n" +
         extra;
}

}  // namespace

TEST_CASE(
    "gan e2e: the 3dgan use case trains, generates showers into HDF5 on 1 and 2 ranks, weights "
    "load in PyTorch",
    "[gan][python]") {
  TempDir d;
  std::string data = showers(d, "8,8,8", 80);
  std::string args = small(data, d.path());
  auto t = run_shell(itwin_bin() + " train " + use_case() + args, 600);
  INFO(t.out);
  REQUIRE(t.exit_code == 0);
  CHECK_THAT(t.out, Contains("val_phys_dist"));
  CHECK_THAT(t.out, Contains("test_esum_dist"));
  CHECK_THAT(t.out, Contains("models saved"));
  const std::string run = d.path() + "/3dgan";
  for (const char* f : {"generator.pt", "discriminator.pt", "model.pt",
                        "checkpoints/best/optimizer-discriminator.pt"}) {
    CHECK(fs::exists(run + "/" + f));
  }
  std::ifstream in(run + "/summary.json");
  auto summary = nlohmann::json::parse(in);
  CHECK(summary["discriminator_steps"] == 8);  // 64 training showers / 16, 2 epochs
  CHECK(summary["generator_steps"] == 8);
  ok(run_shell(
      helper("builtin " + run + "/generator.pt " + run + "/discriminator.pt 16 8,8,8 8,4 4,8")));

  auto one = run_shell(itwin_bin() + " infer " + use_case() + args, 300);  // 3dgan.latest
  INFO(one.out);
  REQUIRE(one.exit_code == 0);
  CHECK_THAT(one.out, Contains("generated 500 samples of 8x8x8"));
  std::string file = run + "/generated.h5";
  ok(run_shell(helper("showers " + file + " 500 8,8,8 10 50 100 200 400")));
  fs::rename(file, d.path() + "/one.h5");
  auto two = run_shell(itwin_bin() + " infer " + use_case() + args + " --set vars.weights=" + run +
                           "/generator.pt --nproc 2 --set distributed.backend=gloo",
                       300);
  INFO(two.out);
  REQUIRE(two.exit_code == 0);
  CHECK_THAT(two.out, Contains("on 2 rank(s)"));
  ok(run_shell(helper("same-h5 " + d.path() + "/one.h5 " + file + " ECAL")));
  ok(run_shell(helper("same-h5 " + d.path() + "/one.h5 " + file + " energy")));
}

TEST_CASE(
    "gan e2e: TorchScript networks made in Python train, and the generator comes back as "
    "TorchScript",
    "[gan][python]") {
  TempDir d;
  std::string data = showers(d, "8,8,8", 48);
  ok(run_shell("/usr/bin/python3 " + source_root() + "/use-cases/3dgan/models.py --out-dir " +
               d.path() + "/ts --grid 8,8,8 --latent 16 --g-channels 8,4 --d-channels 4,8"));
  auto r = run_shell(itwin_bin() + " run " + use_case() + " --pipeline training_ts" +
                         small(data, d.path()) + " --set vars.ts_dir=" + d.path() +
                         "/ts --set vars.epochs=1",
                     600);
  INFO(r.out);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Contains("model: torchscript"));
  CHECK_THAT(r.out, Contains("generator.ts.pt, discriminator.ts.pt"));
  const std::string run = d.path() + "/3dgan-training_ts";  // <root>/<name>-<pipeline>
  ok(run_shell(helper("check-ts " + d.path() + "/ts/generator.ts.pt " + run + "/generator.pt " +
                      run + "/generator.ts.pt 16")));
}

TEST_CASE("gan e2e: ddp on 2 ranks equals 1 rank with the doubled batch",
          "[gan][distributed][python]") {
  TempDir d;
  std::string data = d.path() + "/mix.h5";
  ok(run_shell(
      helper("mixture " + data + " 576")));  // 512 training samples: full batches of 2 x 16 and 32
  std::string cfg = d.write("p.yaml", mlp_gan(data, 2, 16, 16));
  auto train = [&](const std::string& dir, const std::string& extra) {
    ok(run_shell(itwin_bin() + " train " + cfg + " --threads 1 --run-dir " + dir + " " + extra,
                 300));
  };
  train(d.path() + "/single", "--set pipelines.training.steps.train.batch_size=32");
  for (const char* backend : {"mpi", "gloo"}) {
    INFO(backend);
    std::string dir = d.path() + "/" + backend;
    train(dir, std::string("--nproc 2 --set distributed.backend=") + backend);
    for (const char* net : {"generator.pt", "discriminator.pt"}) {
      auto same = run_shell(pytorch_helper("close-state " + d.path() + "/single/" + net + " " +
                                           dir + "/" + net + " 1e-4 1e-5"));
      INFO(net << ": " << same.out);
      CHECK(same.exit_code == 0);
    }
  }
}

TEST_CASE("gan e2e: a run killed with SIGKILL resumes to the weights of an uninterrupted run",
          "[gan][python]") {
  TempDir d;
  std::string data = d.path() + "/mix.h5";
  ok(run_shell(helper("mixture " + data + " 16064")));
  std::string cfg = d.write("p.yaml", mlp_gan(data, 3, 32, 256));
  ok(run_shell(itwin_bin() + " train " + cfg + " --threads 1 --run-dir " + d.path() + "/whole",
               600));

  auto killed = start_background(
      {itwin_bin(), "train", cfg, "--threads", "1", "--run-dir", d.path() + "/split"},
      d.path() + "/killed.log");
  REQUIRE(killed.kill_when_exists(d.path() + "/split/checkpoints/epoch-0001/state.json", 300));
  CHECK_FALSE(fs::exists(d.path() + "/split/generator.pt"));  // it died before finishing

  auto resumed = run_shell(
      itwin_bin() + " train " + cfg + " --threads 1 --resume --run-dir " + d.path() + "/split",
      600);
  INFO(resumed.out);
  REQUIRE(resumed.exit_code == 0);
  CHECK_THAT(resumed.out, Contains("(1 epochs done"));
  for (const char* net : {"generator.pt", "discriminator.pt"}) {
    auto same = run_shell(pytorch_helper("same-state " + d.path() + "/whole/" + net + " " +
                                         d.path() + "/split/" + net));
    INFO(net << ": " << same.out);
    CHECK(same.exit_code == 0);
  }
}

TEST_CASE(
    "gan e2e: SIGTERM mid-epoch writes a step checkpoint, exits 75, and the resumed run ends with "
    "the uninterrupted weights",
    "[gan][python][stop]") {
  TempDir d;
  std::string data = d.path() + "/mix.h5";
  ok(run_shell(helper("mixture " + data + " 8064")));  // 8000 training samples: 500 steps of 16
  std::string cfg = d.write("p.yaml", mlp_gan(data, 3, 16, 16));
  ok(run_shell(itwin_bin() + " train " + cfg + " --threads 1 --run-dir " + d.path() + "/whole",
               300));

  // The same run, asked to stop once its first epoch's checkpoint is written
  // (after the end-of-epoch stop check; its metrics line comes before it):
  // the signal lands in epoch 2.
  const std::string dir = d.path() + "/split";
  auto p = start_background({itwin_bin(), "train", cfg, "--threads", "1", "--run-dir", dir},
                            dir + ".log");
  bool ready =
      wait_until([&] { return fs::exists(dir + "/checkpoints/epoch-0001/state.json"); }, 120);
  INFO(p.output());
  REQUIRE(ready);
  kill(p.pid, SIGTERM);
  CHECK(p.wait(120) == 75);
  CHECK_THAT(p.output(), Contains("stopped by signal 15"));
  bool mid_epoch = false;
  for (const auto& e : fs::directory_iterator(dir + "/checkpoints"))
    mid_epoch = mid_epoch || e.path().filename().string().rfind("epoch-0002-step-", 0) == 0;
  CHECK(mid_epoch);

  auto resumed =
      run_shell(itwin_bin() + " train " + cfg + " --threads 1 --resume --run-dir " + dir, 300);
  INFO(resumed.out);
  REQUIRE(resumed.exit_code == 0);
  for (const char* net : {"generator.pt", "discriminator.pt"}) {
    auto same = run_shell(
        pytorch_helper("same-state " + d.path() + "/whole/" + net + " " + dir + "/" + net));
    INFO(net << ": " << same.out);
    CHECK(same.exit_code == 0);
  }
}

TEST_CASE("gan e2e: bad configs exit 2 at file:line:col, before anything is written", "[gan]") {
  TempDir d;
  const std::string head =
      "pipelines:\n  training:\n    steps:\n"
      "      - {name: data, type: dataset, format: hdf5, path: x.h5, x: ECAL, y: [energy]}\n"
      "      - {name: g, type: model, arch: gan3d_generator, shape: [8, 8, 8]}\n";
  auto no_disc =
      run_shell(itwin_bin() + " validate " +
                d.write("a.yaml", head + "      - {name: t, type: gan_trainer, generator: g}\n"));
  CHECK(no_disc.exit_code == 2);
  CHECK_THAT(
      no_disc.out,
      Contains("a.yaml:6:9: step 't' (type gan_trainer): missing required key 'discriminator': the "
               "model step of the discriminator"));
  auto typo = run_shell(
      itwin_bin() + " validate " +
      d.write("b.yaml",
              head + "      - {name: t, type: gan_trainer, generator: g, discriminator: dd}\n"));
  CHECK(typo.exit_code == 2);
  CHECK_THAT(
      typo.out,
      Contains(
          "b.yaml:6:9: pipeline 'training': step 't' (gan_trainer): 'discriminator: dd' names no "
          "model step before it"));
  auto role = run_shell(
      itwin_bin() + " validate " +
      d.write("c.yaml",
              head + "      - {name: t, type: gan_trainer, generator: g, discriminator: g2}\n"
                     "      - {name: g2, type: model, arch: gan3d_generator}\n"));
  CHECK(role.exit_code == 2);
  CHECK_THAT(role.out, Contains("names no model step before it"));
  auto swapped = run_shell(
      itwin_bin() + " validate " +
      d.write("e.yaml",
              head + "      - {name: d, type: model, arch: gan3d_discriminator}\n"
                     "      - {name: t, type: gan_trainer, generator: d, discriminator: g}\n"));
  CHECK(swapped.exit_code == 2);
  CHECK_THAT(
      swapped.out,
      Contains(
          "e.yaml:7:9: pipeline 'training': step 't' (gan_trainer): 'generator: d' is a model of "
          "role 'discriminator'"));

  // Shapes that do not match the data: found after the data is read, before a run directory exists.
  std::string data = showers(d, "6,6,6", 12);
  std::string shapes =
      d.write("f.yaml",
              "pipelines:\n  training:\n    steps:\n"
              "      - {name: data, type: dataset, format: hdf5, path: " +
                  data +
                  ", x: ECAL, y: [energy]}\n"
                  "      - {name: g, type: model, arch: gan3d_generator, shape: [8, 8, 8]}\n");
  auto bad = run_shell(itwin_bin() + " train " + shapes + " --run-dir " + d.path() + "/r");
  CHECK(bad.exit_code == 2);
  CHECK_THAT(bad.out, Contains("f.yaml:5:9: step 'g' (model): model 'gan3d_generator' is "
                               "configured for samples [8, 8, 8]"));
  CHECK_FALSE(fs::exists(d.path() + "/r"));
  std::string aux = d.write(
      "g.yaml",
      "pipelines:\n  training:\n    steps:\n"
      "      - {name: data, type: dataset, format: hdf5, path: " +
          data +
          ", x: ECAL}\n"
          "      - {name: g, type: model, arch: mlp, role: generator}\n"
          "      - {name: d, type: model, arch: mlp, role: discriminator}\n"
          "      - {name: t, type: gan_trainer, generator: g, discriminator: d, aux_weight: 1}\n");
  auto no_cond = run_shell(itwin_bin() + " train " + aux + " --run-dir " + d.path() + "/r");
  CHECK(no_cond.exit_code == 2);
  CHECK_THAT(no_cond.out,
             Contains("g.yaml:7:9: step 't' (gan_trainer): aux_weight needs conditions"));
  CHECK_FALSE(fs::exists(d.path() + "/r"));
}

TEST_CASE("gan e2e: the use case validates and its SLURM job renders for JUWELS Booster",
          "[gan][slurm]") {
  auto v = run_shell(itwin_bin() + " validate " + use_case());
  INFO(v.out);
  CHECK(v.exit_code == 0);
  auto r = run_shell(itwin_bin() + " submit " + use_case() + " --profile juwels-booster --dry-run");
  INFO(r.out);
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.out, Contains("#SBATCH --partition=booster"));
  CHECK_THAT(r.out, Contains("3dgan"));
  // The use case's study tunes the gan_trainer (its learning rates and critic steps).
  std::string hpo = use_case();
  hpo.replace(hpo.rfind("pipeline.yaml"), 13, "hpo.yaml");
  auto plan = run_shell(itwin_bin() + " hpo " + hpo + " --dry-run");
  INFO(plan.out);
  CHECK(plan.exit_code == 0);
  CHECK_THAT(plan.out, Contains("vars.critic_steps"));
}
