// itwin backends: what this build and machine can do.
#include <CLI/CLI.hpp>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "itwin/cli/commands.hpp"
#include "itwin/comm/backend.hpp"
#include "itwin/train/runtime_info.hpp"
#include "itwin/util/sysinfo.hpp"

namespace itwin::cli {
namespace {

void run_backends(bool json) {
  std::string blas = blas_library();
  const char* omp = std::getenv("OMP_NUM_THREADS");
  if (json) {
    nlohmann::json j;
    for (const auto& r : comm::backend_table()) j["backends"][r.name] = {{"built", r.built}, {"summary", r.summary}};
    j["libtorch"] = train::libtorch_version();
    j["torch_cuda"] = train::cuda_available();
    j["blas"] = {{"library", blas}, {"kind", blas_kind(blas)}};
    j["cores_available"] = cores_available();
    j["omp_num_threads"] = omp ? omp : "";
    j["host"] = host_name();
    std::cout << j.dump(2) << "\n";
    return;
  }
  std::cout << "communication backends (distributed.backend):\n";
  for (const auto& r : comm::backend_table()) {
    std::printf("  %-6s %-9s %s\n", r.name, r.built ? "built" : "not built", r.summary);
  }
  std::cout << "libtorch " << train::libtorch_version() << " (CUDA tensors: "
            << (train::cuda_available() ? "yes" : "no, CPU build") << ")\n"
            << "BLAS     " << blas_kind(blas) << (blas.empty() ? "" : " (" + blas + ")") << "\n"
            << "cores    " << cores_available() << " available to this process"
            << (omp ? std::string(", OMP_NUM_THREADS=") + omp : std::string()) << "\n"
            << "host     " << host_name() << "\n";
}

}  // namespace

void setup_backends(CLI::App& app) {
  auto json = std::make_shared<bool>(false);
  auto* cmd = app.add_subcommand(
      "backends", "Show what this build and machine offer: communication libraries (mpi, gloo, nccl), "
                  "LibTorch and CUDA, the BLAS library in use (OpenBLAS vs the slow reference BLAS), cores.");
  cmd->add_flag("--json", *json, "print JSON");
  cmd->callback([json] { run_backends(*json); });
}

}  // namespace itwin::cli
