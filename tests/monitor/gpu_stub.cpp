// A stand-in for libnvidia-ml.so.1 and librocm_smi64.so at the monitor's
// dlopen seam: it exports the NVML and ROCm SMI functions itwin uses, with
// known answers. Built by tests/meson.build as a shared module and loaded by path.
//
// NVML: three devices. Device 0 has the energy counter, device 1 does not
// (NVML_ERROR_NOT_SUPPORTED, as before Volta), device 2 refuses a handle
// (NVML_ERROR_NO_PERMISSION: another job's GPU). Reading device d for the
// k-th time (k from 0): utilisation 10 * (k + 1) %, memory used (k + 1) GiB
// of 16 GiB, power 100 W (device 0) or 200 W (device 1), energy counter
// 1,000,000 + 5,000 * k mJ.
// ROCm SMI: one device; k-th read: busy 70 %, 2 GiB of 8 GiB, 150 W,
// energy accumulator 1000 * k ticks of 1000 uJ.
#include <cstdint>
#include <cstring>

namespace {

struct Device {
  int id;
  unsigned reads;  // utilisation queries so far: one per sample
};
Device nv[3] = {{0, 0}, {1, 0}, {2, 0}};
unsigned amd_reads = 0;

constexpr int kSuccess = 0, kInvalid = 2, kNotSupported = 3, kNoPermission = 4;
constexpr unsigned long long kGiB = 1024ull * 1024 * 1024;

Device* dev(void* h) {
  for (auto& d : nv)
    if (h == &d) return &d;
  return nullptr;
}

}  // namespace

extern "C" {

struct nvmlUtilization_t {
  unsigned int gpu, memory;
};
struct nvmlMemory_t {
  unsigned long long total, free, used;
};

int nvmlInit_v2() {
  for (auto& d : nv) d.reads = 0;  // each Monitor starts from the first reading
  return kSuccess;
}
int nvmlShutdown() { return kSuccess; }
const char* nvmlErrorString(int) { return "stub error"; }
int nvmlDeviceGetCount_v2(unsigned int* n) {
  *n = 3;
  return kSuccess;
}
int nvmlDeviceGetHandleByIndex_v2(unsigned int i, void** h) {
  if (i >= 3) return kInvalid;
  if (i == 2) return kNoPermission;
  *h = &nv[i];
  return kSuccess;
}
int nvmlDeviceGetName(void* h, char* name, unsigned int len) {
  std::strncpy(name, dev(h)->id == 0 ? "Stub GPU A" : "Stub GPU B", len);
  return kSuccess;
}
int nvmlDeviceGetUUID(void* h, char* uuid, unsigned int len) {
  std::strncpy(uuid, dev(h)->id == 0 ? "GPU-stub-0000" : "GPU-stub-1111", len);
  return kSuccess;
}
int nvmlDeviceGetUtilizationRates(void* h, nvmlUtilization_t* u) {
  Device* d = dev(h);
  u->gpu = 10 * (d->reads + 1);
  u->memory = 5;
  ++d->reads;
  return kSuccess;
}
int nvmlDeviceGetMemoryInfo(void* h, nvmlMemory_t* m) {
  m->total = 16 * kGiB;
  m->used = dev(h)->reads * kGiB;  // read after utilisation: reads == k + 1
  m->free = m->total - m->used;
  return kSuccess;
}
int nvmlDeviceGetPowerUsage(void* h, unsigned int* mw) {
  *mw = dev(h)->id == 0 ? 100000 : 200000;
  return kSuccess;
}
int nvmlDeviceGetTotalEnergyConsumption(void* h, unsigned long long* mj) {
  Device* d = dev(h);
  if (d->id != 0) return kNotSupported;
  *mj = 1000000ull + 5000ull * (d->reads - 1);
  return kSuccess;
}

int rsmi_init(uint64_t) {
  amd_reads = 0;
  return kSuccess;
}
int rsmi_shut_down() { return kSuccess; }
int rsmi_num_monitor_devices(uint32_t* n) {
  *n = 1;
  return kSuccess;
}
int rsmi_dev_name_get(uint32_t, char* name, size_t len) {
  std::strncpy(name, "Stub AMD GPU", len);
  return kSuccess;
}
int rsmi_dev_busy_percent_get(uint32_t, uint32_t* busy) {
  *busy = 70;
  ++amd_reads;
  return kSuccess;
}
int rsmi_dev_memory_usage_get(uint32_t, int, uint64_t* used) {
  *used = 2 * kGiB;
  return kSuccess;
}
int rsmi_dev_memory_total_get(uint32_t, int, uint64_t* total) {
  *total = 8 * kGiB;
  return kSuccess;
}
int rsmi_dev_power_get(uint32_t, uint64_t* uw, int* type) {
  *uw = 150000000;
  *type = 1;
  return kSuccess;
}
int rsmi_dev_energy_count_get(uint32_t, uint64_t* ticks, float* resolution_uj, uint64_t* stamp) {
  *ticks = 1000ull * (amd_reads - 1);
  *resolution_uj = 1000.0f;
  *stamp = amd_reads;
  return kSuccess;
}

}  // extern "C"
