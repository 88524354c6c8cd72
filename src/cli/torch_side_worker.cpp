// itwin-worker: the work that needs LibTorch, in this process.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "itwin/comm/backend.hpp"
#include "itwin/hpo/zygote.hpp"
#include "itwin/launch/join.hpp"
#include "itwin/train/data_cache.hpp"
#include "itwin/train/runtime_info.hpp"
#include "itwin/util/error.hpp"
#include "itwin/util/fs.hpp"
#include "itwin/util/strings.hpp"
#include "itwin/util/sysinfo.hpp"
#include "itwin/util/version.hpp"
#include "torch_side.hpp"

namespace itwin::cli {

std::string rank_program() {
  std::error_code ec;
  auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) throw RuntimeError("cannot find this program's path (/proc/self/exe): " + ec.message());
  return self.string();
}

int torch_run_pipeline(const config::Config& cfg, const config::Pipeline& p,
                       const train::RunOptions& o, const Invocation&) {
  train::run_pipeline(cfg, p, o);
  return 0;
}

int torch_bench_comm(const comm::BenchOptions& bo, const std::string& backend,
                     const std::string& rendezvous, double timeout, const std::string& json,
                     const Invocation&) {
  launch::Joined j =
      launch::join_world(*config::backend_catalog().find(backend), rendezvous, timeout);
  auto rows = comm::run_bench(*j.comm, bo);
  if (j.comm->rank() != 0) return 0;
  const char* name = config::backend_catalog().name(j.backend);
  std::fputs(comm::format_bench(rows, name, j.comm->world()).c_str(), stdout);
  if (!json.empty()) write_file_atomic(json, comm::bench_json(rows, name, j.comm->world()));
  for (const auto& r : rows) {
    if (r.wrong) return kExitFailure;
  }
  return 0;
}

namespace {

// What run.device: auto would use: local rank i takes visible GPU i mod n.
std::string gpu_line() {
  auto gpus = train::visible_gpus();
  if (gpus.empty()) return "none visible (run.device: auto trains on the CPU)";
  return std::to_string(gpus.size()) + " visible: " + join(gpus, ", ") +
         "; local rank i uses cuda:(i mod " + std::to_string(gpus.size()) + ")";
}

}  // namespace

int torch_backends(bool json, const Invocation&) {
  std::string blas = blas_library();
  const char* omp = std::getenv("OMP_NUM_THREADS");
  const auto& cat = config::backend_catalog();
  if (json) {
    nlohmann::json j;
    for (const auto& e : cat.entries()) {
      if (e.value == config::BackendKind::Auto) continue;
      j["backends"][e.name] = {{"built", comm::backend_built(e.value)}, {"summary", e.summary}};
    }
    j["libtorch"] = train::libtorch_version();
    j["torch_cuda"] = train::cuda_available();
    j["gpus"] = train::visible_gpus();
    j["blas"] = {{"library", blas}, {"kind", blas_kind(blas)}};
    j["cores_available"] = cores_available();
    j["omp_num_threads"] = omp ? omp : "";
    j["host"] = host_name();
    std::cout << j.dump(2) << "\n";
    return 0;
  }
  std::cout << "communication backends (distributed.backend):\n";
  for (const auto& e : cat.entries()) {
    if (e.value == config::BackendKind::Auto) continue;
    std::printf("  %-6s %-9s %s\n", e.name, comm::backend_built(e.value) ? "built" : "not built",
                e.summary);
  }
  std::cout << "libtorch " << train::libtorch_version()
            << " (CUDA tensors: " << (train::cuda_available() ? "yes" : "no, CPU build") << ")\n"
            << "GPUs     " << gpu_line() << "\n"
            << "BLAS     " << blas_kind(blas) << (blas.empty() ? "" : " (" + blas + ")") << "\n"
            << "cores    " << cores_available() << " available to this process"
            << (omp ? std::string(", OMP_NUM_THREADS=") + omp : std::string()) << "\n"
            << "host     " << host_name() << "\n";
  return 0;
}

int torch_version(bool json, const Invocation&) {
  if (json) {
    nlohmann::json j = {{"itwin", version_string()},
                        {"git_commit", git_commit()},
                        {"compiler", compiler_string()},
                        {"libtorch", train::libtorch_version()}};
    std::cout << j.dump(2) << "\n";
  } else {
    std::cout << "itwin " << version_string() << " (git " << git_commit() << ")\n"
              << "compiler " << compiler_string() << "\n"
              << "libtorch " << train::libtorch_version() << "\n";
  }
  return 0;
}

int torch_hpo_zygote(int fd, const config::Config& cfg, const config::Pipeline& p,
                     const Invocation&) {
  const int kept = train::warm_dataset_cache(cfg, p);
  std::fprintf(stderr, "itwin hpo-zygote %d: %d data set(s) decoded for the trials\n",
               static_cast<int>(::getpid()), kept);
  return hpo::serve_zygote(fd, [](const std::vector<std::string>& argv) { return run_main(argv); });
}

}  // namespace itwin::cli
