// NVIDIA GPUs through NVML, opened with dlopen. The few types and functions
// used are declared here from NVML's public API (nvml.h): units are percent
// for utilisation, bytes for memory, milliwatts for power and millijoules for
// the total-energy counter (Volta and newer).
#include <cstdlib>

#include "dynlib.hpp"
#include "itwin/monitor/gpu.hpp"

namespace itwin::monitor {
namespace {

using nvmlReturn_t = int;  // an enum in nvml.h; NVML_SUCCESS is 0
using nvmlDevice_t = struct nvmlDevice_st*;
constexpr nvmlReturn_t kSuccess = 0;

struct nvmlUtilization_t {
  unsigned int gpu;     // percent of the sample period a kernel was running
  unsigned int memory;  // percent of the period device memory was read or written
};
struct nvmlMemory_t {
  unsigned long long total, free, used;  // bytes
};

struct Api {
  nvmlReturn_t (*init)();
  nvmlReturn_t (*shutdown)();
  const char* (*error_string)(nvmlReturn_t);
  nvmlReturn_t (*count)(unsigned int*);
  nvmlReturn_t (*handle)(unsigned int, nvmlDevice_t*);
  nvmlReturn_t (*name)(nvmlDevice_t, char*, unsigned int);
  nvmlReturn_t (*uuid)(nvmlDevice_t, char*, unsigned int);
  nvmlReturn_t (*utilization)(nvmlDevice_t, nvmlUtilization_t*);
  nvmlReturn_t (*memory)(nvmlDevice_t, nvmlMemory_t*);
  nvmlReturn_t (*power)(nvmlDevice_t, unsigned int*);         // mW
  nvmlReturn_t (*energy)(nvmlDevice_t, unsigned long long*);  // mJ
};

constexpr double kMiB = 1024.0 * 1024.0;

class Nvml : public GpuLibrary {
 public:
  Nvml(std::unique_ptr<DynLib> lib, Api api) : lib_(std::move(lib)), api_(api) {}
  ~Nvml() override { api_.shutdown(); }

  bool open(const GpuSelection& sel, std::string* why) {
    unsigned int n = 0;
    nvmlReturn_t rc = api_.count(&n);
    if (rc != kSuccess) {
      *why = std::string("NVML: nvmlDeviceGetCount_v2 failed: ") + api_.error_string(rc);
      return false;
    }
    for (unsigned int i = 0; i < n; ++i) {
      nvmlDevice_t h = nullptr;
      // A device this job may not open (cgroup device limits) is not the job's.
      if (api_.handle(i, &h) != kSuccess) continue;
      GpuDevice d;
      d.vendor = "nvidia";
      d.index = static_cast<int>(i);
      char buf[96] = {0};
      if (api_.name(h, buf, sizeof buf - 1) == kSuccess) d.name = buf;
      char ubuf[96] = {0};
      if (api_.uuid(h, ubuf, sizeof ubuf - 1) == kSuccess) d.uuid = ubuf;
      if (!selected(sel, d)) continue;
      devices_.push_back(d);
      handles_.push_back(h);
    }
    if (devices_.empty()) {
      *why = "NVML: no NVIDIA GPU of this job on this node (" + std::to_string(n) + " seen)";
      return false;
    }
    return true;
  }

  const std::vector<GpuDevice>& devices() const override { return devices_; }

  GpuReading read(size_t i) override {
    GpuReading r;
    nvmlDevice_t h = handles_.at(i);
    nvmlUtilization_t u{};
    if (api_.utilization(h, &u) == kSuccess) r.util_pct = u.gpu;
    nvmlMemory_t m{};
    if (api_.memory(h, &m) == kSuccess) {
      r.mem_used_mib = static_cast<double>(m.used) / kMiB;
      r.mem_total_mib = static_cast<double>(m.total) / kMiB;
    }
    unsigned int mw = 0;
    if (api_.power(h, &mw) == kSuccess) r.power_w = mw / 1000.0;
    unsigned long long mj = 0;
    if (api_.energy && api_.energy(h, &mj) == kSuccess)
      r.energy_j = static_cast<double>(mj) / 1000.0;
    return r;
  }

 private:
  std::unique_ptr<DynLib> lib_;
  Api api_;
  std::vector<GpuDevice> devices_;
  std::vector<nvmlDevice_t> handles_;
};

}  // namespace

std::unique_ptr<GpuLibrary> open_nvml(const std::string& path, const GpuSelection& sel,
                                      std::string* why) {
  std::string p;
  auto lib = open_vendor_library(path, "ITWIN_NVML_LIBRARY", "libnvidia-ml.so.1", "NVML", &p, why);
  if (!lib) return nullptr;
  Api a{};
  bool ok =
      lib->get("nvmlInit_v2", a.init) && lib->get("nvmlShutdown", a.shutdown) &&
      lib->get("nvmlErrorString", a.error_string) && lib->get("nvmlDeviceGetCount_v2", a.count) &&
      lib->get("nvmlDeviceGetHandleByIndex_v2", a.handle) &&
      lib->get("nvmlDeviceGetName", a.name) && lib->get("nvmlDeviceGetUUID", a.uuid) &&
      lib->get("nvmlDeviceGetUtilizationRates", a.utilization) &&
      lib->get("nvmlDeviceGetMemoryInfo", a.memory) && lib->get("nvmlDeviceGetPowerUsage", a.power);
  if (!ok) {
    *why = "NVML: " + p + " lacks a function itwin needs (driver too old?)";
    return nullptr;
  }
  lib->get("nvmlDeviceGetTotalEnergyConsumption",
           a.energy);  // optional: power is integrated instead
  nvmlReturn_t rc = a.init();
  if (rc != kSuccess) {
    *why = std::string("NVML: nvmlInit_v2 failed: ") + a.error_string(rc);
    return nullptr;
  }
  auto nvml = std::make_unique<Nvml>(std::move(lib), a);
  if (!nvml->open(sel, why)) return nullptr;
  return nvml;
}

}  // namespace itwin::monitor
