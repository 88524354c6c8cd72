#pragma once
/// Facts about the machine and process that change speed: cores this
/// process may run on (not `nproc`, which obeys OMP_NUM_THREADS), the BLAS
/// library actually loaded, the host name.

#include <cstdint>
#include <string>

namespace itwin {

/// CPUs in this process's affinity mask.
int cores_available();

/// Milliseconds since the Unix epoch (MLflow's timestamps).
int64_t unix_millis();

/// Path of the BLAS shared library mapped into this process ("" if none),
/// and a short verdict: "openblas", "mkl", "reference (slow)", ...
std::string blas_library();
std::string blas_kind(const std::string& path);

std::string host_name();

/// CPU time on the cores this process may use, and this process's own, at
/// one instant (from /proc/stat and /proc/self/stat).
struct CpuSnapshot {
  double busy_s = 0;  ///< non-idle time summed over the allowed cores
  double self_s = 0;  ///< this process's user + system time
  double wall_s = 0;  ///< steady clock
  bool valid = false;
};
CpuSnapshot cpu_snapshot();

/// How many of the allowed cores other processes kept busy between two
/// snapshots (0 when unknown or the interval is too short to tell).
double cores_busy_elsewhere(const CpuSnapshot& a, const CpuSnapshot& b);

/// MemAvailable of /proc/meminfo in bytes (0 when unknown).
uint64_t available_memory_bytes();

/// Sets the thread count of a threaded BLAS (OpenBLAS, BLIS, MKL) loaded in
/// this process, found at run time; false when none is. LibTorch runs its own
/// threads around BLAS calls, so a BLAS with threads of its own
/// oversubscribes the cores (measured: 2.2x slower CNN training on 2 cores).
bool set_blas_threads(int n);

}  // namespace itwin
