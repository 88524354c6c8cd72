#pragma once
/// The OpenMP environment a LibTorch process needs before its runtime
/// starts (it reads OMP_* once, at load): how its idle threads wait.

#include <string>

namespace itwin::launch {

/// Threads other processes keep runnable right now: /proc/stat's
/// procs_running, less this reader, averaged over `samples` reads
/// `interval_ms` apart (instant, unlike CPU-time deltas counted in 10 ms
/// ticks). 0 when unknown.
double runnable_elsewhere(int samples = 5, int interval_ms = 2);

/// OMP_WAIT_POLICY for `processes` processes of `threads` OpenMP threads each
/// on `cores` cores while `others` threads of other processes are runnable:
/// "ACTIVE" only when every thread has a core of its own (spinning between
/// parallel regions is then free and 1.3x faster on the CNN), else
/// "PASSIVE" (a thread spinning for a core another process holds costs
/// 3-14x; bench/busy_node.sh). One thread per process: "PASSIVE" (no team).
std::string wait_policy(int threads, int processes, int cores, double others);

/// Sets OMP_WAIT_POLICY for one process about to start with `threads` OpenMP
/// threads, from the cores this process may use and what else runs
/// now, unless the user set it; returns the value in force.
std::string choose_wait_policy(int threads);

}  // namespace itwin::launch
