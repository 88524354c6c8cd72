// AMD GPUs through ROCm SMI (librocm_smi64.so), opened with dlopen. The
// functions used are declared here from rocm_smi.h: busy percent, VRAM bytes,
// power in microwatts, and an energy accumulator whose ticks are worth
// `counter_resolution` microjoules.
#include <cstdint>
#include <cstdlib>

#include "dynlib.hpp"
#include "itwin/monitor/gpu.hpp"

namespace itwin::monitor {
namespace {

using rsmi_status_t = int;  // an enum in rocm_smi.h; RSMI_STATUS_SUCCESS is 0
constexpr rsmi_status_t kSuccess = 0;
constexpr int kMemTypeVram = 0;  // RSMI_MEM_TYPE_VRAM

struct Api {
  rsmi_status_t (*init)(uint64_t);
  rsmi_status_t (*shutdown)();
  rsmi_status_t (*count)(uint32_t*);
  rsmi_status_t (*name)(uint32_t, char*, size_t);
  rsmi_status_t (*busy)(uint32_t, uint32_t*);
  rsmi_status_t (*mem_used)(uint32_t, int, uint64_t*);
  rsmi_status_t (*mem_total)(uint32_t, int, uint64_t*);
  rsmi_status_t (*power)(uint32_t, uint64_t*, int*);          // ROCm >= 6: current or average, uW
  rsmi_status_t (*power_ave)(uint32_t, uint32_t, uint64_t*);  // older: average, uW
  rsmi_status_t (*energy)(uint32_t, uint64_t*, float*, uint64_t*);
};

constexpr double kMiB = 1024.0 * 1024.0;

class RocmSmi : public GpuLibrary {
 public:
  RocmSmi(std::unique_ptr<DynLib> lib, Api api) : lib_(std::move(lib)), api_(api) {}
  ~RocmSmi() override { api_.shutdown(); }

  bool open(const GpuSelection& sel, std::string* why) {
    uint32_t n = 0;
    if (api_.count(&n) != kSuccess) {
      *why = "ROCm SMI: rsmi_num_monitor_devices failed";
      return false;
    }
    for (uint32_t i = 0; i < n; ++i) {
      GpuDevice d;
      d.vendor = "amd";
      d.index = static_cast<int>(i);
      char buf[128] = {0};
      if (api_.name(i, buf, sizeof buf - 1) == kSuccess) d.name = buf;
      if (selected(sel, d)) devices_.push_back(d);
    }
    if (devices_.empty()) {
      *why = "ROCm SMI: no AMD GPU of this job on this node (" + std::to_string(n) + " seen)";
      return false;
    }
    return true;
  }

  const std::vector<GpuDevice>& devices() const override { return devices_; }

  GpuReading read(size_t i) override {
    GpuReading r;
    auto dv = static_cast<uint32_t>(devices_.at(i).index);
    uint32_t busy = 0;
    if (api_.busy(dv, &busy) == kSuccess) r.util_pct = busy;
    uint64_t used = 0, total = 0;
    if (api_.mem_used(dv, kMemTypeVram, &used) == kSuccess) r.mem_used_mib = used / kMiB;
    if (api_.mem_total(dv, kMemTypeVram, &total) == kSuccess) r.mem_total_mib = total / kMiB;
    uint64_t uw = 0;
    int type = 0;
    if (api_.power ? api_.power(dv, &uw, &type) == kSuccess
                   : api_.power_ave && api_.power_ave(dv, 0, &uw) == kSuccess) {
      r.power_w = uw / 1e6;
    }
    uint64_t ticks = 0, stamp = 0;
    float resolution_uj = 0;
    if (api_.energy && api_.energy(dv, &ticks, &resolution_uj, &stamp) == kSuccess &&
        resolution_uj > 0) {
      r.energy_j = static_cast<double>(ticks) * resolution_uj / 1e6;
    }
    return r;
  }

 private:
  std::unique_ptr<DynLib> lib_;
  Api api_;
  std::vector<GpuDevice> devices_;
};

}  // namespace

std::unique_ptr<GpuLibrary> open_rocm_smi(const std::string& path, const GpuSelection& sel,
                                          std::string* why) {
  std::string p;
  auto lib =
      open_vendor_library(path, "ITWIN_ROCM_SMI_LIBRARY", "librocm_smi64.so", "ROCm SMI", &p, why);
  if (!lib) return nullptr;
  Api a{};
  bool ok = lib->get("rsmi_init", a.init) && lib->get("rsmi_shut_down", a.shutdown) &&
            lib->get("rsmi_num_monitor_devices", a.count) &&
            lib->get("rsmi_dev_name_get", a.name) &&
            lib->get("rsmi_dev_busy_percent_get", a.busy) &&
            lib->get("rsmi_dev_memory_usage_get", a.mem_used) &&
            lib->get("rsmi_dev_memory_total_get", a.mem_total);
  if (!ok) {
    *why = "ROCm SMI: " + p + " lacks a function itwin needs";
    return nullptr;
  }
  // Optional ones: rsmi_dev_power_get replaced rsmi_dev_power_ave_get in ROCm 6.
  lib->get("rsmi_dev_power_get", a.power);
  lib->get("rsmi_dev_power_ave_get", a.power_ave);
  lib->get("rsmi_dev_energy_count_get", a.energy);
  if (a.init(0) != kSuccess) {
    *why = "ROCm SMI: rsmi_init failed";
    return nullptr;
  }
  auto smi = std::make_unique<RocmSmi>(std::move(lib), a);
  if (!smi->open(sel, why)) return nullptr;
  return smi;
}

}  // namespace itwin::monitor
