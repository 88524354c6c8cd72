// ddp's gradient reduction (src/train/strategy.cpp) with real ranks: however
// the buckets travel (MPI's progress thread or polling from the trainer, Gloo,
// one bucket per parameter or one per module, each bucket's parameters
// updated as its average arrives or all after the last), 2 ranks end with the
// same weights bit for bit, and the run's profile times the communication.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "../helpers.hpp"

using namespace itwin::test;
namespace fs = std::filesystem;

namespace {

std::string pipeline() {
  return "run: {seed: 7}\n"
         "pipelines:\n  training:\n    steps:\n"
         "      - {name: data, type: dataset, format: synthetic, split: {validation: 64},"
         " synthetic: {samples: 704, features: 20, classes: 4, noise: 1.0}}\n"
         "      - {name: model, type: model, arch: mlp, hidden: [48, 32], dropout: 0}\n"
         "      - {name: train, type: trainer, epochs: 2, batch_size: 16, test: false,"
         " optimizer: {name: sgd, lr: 0.05, momentum: 0.9, nesterov: true}}\n";
}

void train(const std::string& env, const std::string& cfg, const std::string& dir,
           const std::string& extra) {
  auto r = run_shell(env + " " + itwin_bin() + " train " + cfg +
                         " --threads 1 --nproc 2 --run-dir " + dir + " " + extra,
                     300);
  INFO(r.out);
  REQUIRE(r.exit_code == 0);
}

nlohmann::json ms_per_step(const std::string& dir) {
  std::ifstream in(dir + "/summary.json");
  return nlohmann::json::parse(in)["profile"]["ms_per_step"];
}

}  // namespace

TEST_CASE("ddp: progress thread, polling, gloo, any bucket size, per-bucket steps: same weights",
          "[distributed][python]") {
  TempDir d;
  std::string cfg = d.write("p.yaml", pipeline());
  const std::string base = d.path() + "/base";
  train("", cfg, base, "--set distributed.backend=mpi");
  auto ms = ms_per_step(base);
  CHECK(ms["comm"].get<double>() > 0);
  CHECK(ms["comm_exposed"].get<double>() >= 0);
  struct Variant {
    const char* name;
    const char* env;
    const char* flags;
  };
  for (const auto& v :
       {Variant{"progress-thread", "ITWIN_MPI_PROGRESS_THREAD=1", "--set distributed.backend=mpi"},
        Variant{"step-per-bucket", "ITWIN_DDP_STEP_PER_BUCKET=1", "--set distributed.backend=mpi"},
        Variant{"tiny-buckets", "",
                "--set distributed.backend=mpi --set distributed.bucket_mb=0.001"},
        Variant{"gloo", "", "--set distributed.backend=gloo"}}) {
    SECTION(v.name) {
      const std::string dir = d.path() + "/" + v.name;
      train(v.env, cfg, dir, v.flags);
      auto same =
          run_shell(pytorch_helper("same-state " + base + "/model.pt " + dir + "/model.pt"));
      INFO(same.out);
      CHECK(same.exit_code == 0);
      CHECK(ms_per_step(dir)["comm"].get<double>() > 0);
    }
  }
}
