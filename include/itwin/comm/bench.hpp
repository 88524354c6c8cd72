#pragma once
/// Collective benchmarks in the nccl-tests format: for each operation and
/// message size, the time per call (max over ranks), algorithm bandwidth
/// (size/time), bus bandwidth (algbw times the operation's factor, so that
/// numbers compare with the hardware's link speed) and wrong elements.

#include <cstddef>
#include <string>
#include <vector>

#include "itwin/comm/backend.hpp"

namespace itwin::comm {

struct BenchOptions {
  std::vector<std::string> ops = {"allreduce", "allgather", "broadcast", "reduce_scatter"};
  size_t min_bytes = 8;
  size_t max_bytes = 64u << 20;
  size_t factor = 2;
  int warmup = 3;
  int iters = 20;
};

struct BenchRow {
  std::string op;
  size_t bytes = 0;  ///< whole buffer (allgather: output, reduce_scatter: input)
  size_t count = 0;  ///< elements of that buffer
  double time_us = 0;
  double algbw = 0;  ///< GB/s
  double busbw = 0;  ///< GB/s
  long wrong = 0;
};

/// Runs on every rank (all must call it with the same options).
std::vector<BenchRow> run_bench(Backend& b, const BenchOptions& o);

/// The table nccl-tests prints, with a header naming backend and ranks.
std::string format_bench(const std::vector<BenchRow>& rows, const std::string& backend, int world);
std::string bench_json(const std::vector<BenchRow>& rows, const std::string& backend, int world);

}  // namespace itwin::comm
