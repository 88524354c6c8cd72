#pragma once
/// GPUs through their vendors' management libraries, loaded at run time with
/// dlopen (no build or package dependency): NVML (libnvidia-ml.so.1) for
/// NVIDIA, ROCm SMI (librocm_smi64.so) for AMD. A library that is absent, or
/// sees no device, is an expected absence: the opener returns null and says why.

#include <cmath>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace itwin::monitor {

/// One GPU as its library names it.
struct GpuDevice {
  std::string vendor;  ///< "nvidia" | "amd"
  int index = 0;       ///< the library's device index
  std::string name;    ///< e.g. "NVIDIA A100-SXM4-40GB"
  std::string uuid;    ///< NVML's "GPU-..." (empty where the library has none)
};

/// One reading; NaN where the device or library could not tell.
struct GpuReading {
  double util_pct = NAN;  ///< busy share of the last sample period, 0..100
  double mem_used_mib = NAN;
  double mem_total_mib = NAN;
  double power_w = NAN;
  double energy_j = NAN;  ///< the device's own cumulative energy counter, if it has one
};

/// A loaded vendor library and the devices it monitors for this run.
class GpuLibrary {
 public:
  virtual ~GpuLibrary() = default;
  virtual const std::vector<GpuDevice>& devices() const = 0;
  /// Reads devices()[i]. Never throws; a failed query leaves NaN.
  virtual GpuReading read(size_t i) = 0;
};

/// Which devices to monitor: indices ("0", "3") or UUID prefixes ("GPU-8a1f");
/// std::nullopt: every device the library can open.
using GpuSelection = std::optional<std::vector<std::string>>;

/// The devices a job owns on this node, from the environment: SLURM_STEP_GPUS,
/// else SLURM_JOB_GPUS, else CUDA_VISIBLE_DEVICES (NVIDIA) or ROCR_VISIBLE_DEVICES /
/// HIP_VISIBLE_DEVICES (AMD); unset: all. `getenv` is the seam for tests.
GpuSelection selection_from_env(const std::string& vendor,
                                const char* (*getenv)(const char*) = nullptr);

/// True when device `d` is selected by `sel`.
bool selected(const GpuSelection& sel, const GpuDevice& d);

/// NVML from `path` ("" = $ITWIN_NVML_LIBRARY, else libnvidia-ml.so.1). Null,
/// with `*why` set, when the library is absent, fails to initialise or
/// monitors no device.
std::unique_ptr<GpuLibrary> open_nvml(const std::string& path, const GpuSelection& sel,
                                      std::string* why);

/// ROCm SMI from `path` ("" = $ITWIN_ROCM_SMI_LIBRARY, else librocm_smi64.so);
/// null with `*why` as for open_nvml.
std::unique_ptr<GpuLibrary> open_rocm_smi(const std::string& path, const GpuSelection& sel,
                                          std::string* why);

}  // namespace itwin::monitor
