// Which GPUs a run owns: the selection rules shared by NVML and ROCm SMI.
#include "itwin/monitor/gpu.hpp"

#include <cstdlib>

#include "itwin/util/strings.hpp"

namespace itwin::monitor {

GpuSelection selection_from_env(const std::string& vendor, const char* (*getenv)(const char*)) {
  auto get = [&](const char* name) -> const char* {
    return getenv ? getenv(name) : std::getenv(name);
  };
  // SLURM's lists hold the node's device numbers, which is what the
  // libraries enumerate; CUDA_VISIBLE_DEVICES may have been narrowed per task
  // (--gpu-bind), so the job's list wins: the monitor watches the whole node's share.
  std::vector<const char*> names = {"SLURM_STEP_GPUS", "SLURM_JOB_GPUS"};
  if (vendor == "nvidia") names.push_back("CUDA_VISIBLE_DEVICES");
  if (vendor == "amd") {
    names.push_back("ROCR_VISIBLE_DEVICES");
    names.push_back("HIP_VISIBLE_DEVICES");
  }
  for (const char* name : names) {
    const char* v = get(name);
    if (!v) continue;
    std::vector<std::string> out;
    for (const auto& part : split(v, ',')) {
      std::string p = trim(part);
      if (p.empty()) continue;
      bool number = p.find_first_not_of("0123456789") == std::string::npos;
      // MIG instances and other forms name no whole device: watch them all.
      if (!number && !starts_with(p, "GPU-")) return std::nullopt;
      out.push_back(p);
    }
    return out;
  }
  return std::nullopt;
}

bool selected(const GpuSelection& sel, const GpuDevice& d) {
  if (!sel) return true;
  for (const auto& s : *sel) {
    if (s == std::to_string(d.index)) return true;
    if (starts_with(s, "GPU-") && !d.uuid.empty() && starts_with(d.uuid, s)) return true;
  }
  return false;
}

}  // namespace itwin::monitor
