#include "itwin/comm/bench.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "itwin/util/error.hpp"

namespace itwin::comm {
namespace {

// nccl-tests' bus bandwidth factors (doc/PERFORMANCE.md).
double bus_factor(const std::string& op, int n) {
  if (op == "allreduce") return 2.0 * (n - 1) / n;
  if (op == "allgather" || op == "reduce_scatter") return static_cast<double>(n - 1) / n;
  return 1.0;  // broadcast
}

struct Case {
  std::vector<float> in, out;
};

// Fills inputs so that every element of the result is predictable.
void prepare(Case& c, const std::string& op, size_t count, int rank, int world) {
  size_t per = count / static_cast<size_t>(world);
  if (op == "allreduce" || op == "broadcast") {
    c.in.assign(count, 0);
    for (size_t i = 0; i < count; ++i)
      c.in[i] = static_cast<float>((rank + 1) * static_cast<int>(i % 13));
  } else if (op == "allgather") {
    c.in.assign(per, static_cast<float>(rank + 1));
    c.out.assign(count, 0);
  } else {
    c.in.assign(count, static_cast<float>(rank + 1));
    c.out.assign(per, 0);
  }
}

void call(Backend& b, const std::string& op, Case& c, size_t count) {
  size_t per = count / static_cast<size_t>(b.world());
  if (op == "allreduce")
    b.allreduce(c.in.data(), count, DType::F32);
  else if (op == "broadcast")
    b.broadcast(c.in.data(), count, DType::F32, 0);
  else if (op == "allgather")
    b.allgather(c.in.data(), c.out.data(), per, DType::F32);
  else
    b.reduce_scatter(c.in.data(), c.out.data(), per, DType::F32);
}

long count_wrong(const std::string& op, const Case& c, size_t count, int world) {
  long wrong = 0;
  const float tri = static_cast<float>(world * (world + 1) / 2);
  size_t per = count / static_cast<size_t>(world);
  if (op == "allreduce") {
    for (size_t i = 0; i < count; ++i) wrong += c.in[i] != tri * static_cast<float>(i % 13);
  } else if (op == "broadcast") {
    for (size_t i = 0; i < count; ++i) wrong += c.in[i] != static_cast<float>(i % 13);
  } else if (op == "allgather") {
    for (size_t i = 0; i < count; ++i) wrong += c.out[i] != static_cast<float>(i / per + 1);
  } else {
    for (size_t i = 0; i < per; ++i) wrong += c.out[i] != tri;
  }
  return wrong;
}

}  // namespace

std::vector<BenchRow> run_bench(Backend& b, const BenchOptions& o) {
  const int w = b.world();
  std::vector<BenchRow> rows;
  for (const auto& op : o.ops) {
    if (op != "allreduce" && op != "allgather" && op != "broadcast" && op != "reduce_scatter") {
      throw UsageError("unknown collective '" + op +
                       "' (allreduce, allgather, broadcast, reduce_scatter)");
    }
    for (size_t bytes = o.min_bytes; bytes <= o.max_bytes; bytes *= std::max<size_t>(2, o.factor)) {
      size_t count = std::max<size_t>(static_cast<size_t>(w), bytes / sizeof(float));
      count -= count % static_cast<size_t>(w);  // whole slices per rank
      Case c;
      prepare(c, op, count, b.rank(), w);
      call(b, op, c, count);  // checked run
      long wrong = count_wrong(op, c, count, w);
      b.allreduce(&wrong, 1, DType::I64);
      for (int i = 0; i < o.warmup; ++i) call(b, op, c, count);
      b.barrier();
      auto t0 = std::chrono::steady_clock::now();
      for (int i = 0; i < o.iters; ++i) call(b, op, c, count);
      double us =
          std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count() /
          o.iters;
      b.allreduce(&us, 1, DType::F64, ReduceOp::Max);
      BenchRow r;
      r.op = op;
      r.count = count;
      r.bytes = count * sizeof(float);
      r.time_us = us;
      r.algbw = static_cast<double>(r.bytes) / us / 1e3;
      r.busbw = r.algbw * bus_factor(op, w);
      r.wrong = wrong;
      rows.push_back(r);
      if (bytes > o.max_bytes / std::max<size_t>(2, o.factor)) break;
    }
  }
  return rows;
}

std::string format_bench(const std::vector<BenchRow>& rows, const std::string& backend, int world) {
  std::string s;
  char buf[200];
  std::snprintf(buf, sizeof buf,
                "# itwin bench comm: backend %s, %d ranks, float32, time = max over ranks\n#\n",
                backend.c_str(), world);
  s += buf;
  std::snprintf(buf, sizeof buf, "# %14s %12s %6s %15s %11s %9s %9s %7s\n", "size", "count", "type",
                "op", "time", "algbw", "busbw", "#wrong");
  s += buf;
  std::snprintf(buf, sizeof buf, "# %14s %12s %6s %15s %11s %9s %9s %7s\n", "(B)", "(elements)", "",
                "", "(us)", "(GB/s)", "(GB/s)", "");
  s += buf;
  for (const auto& r : rows) {
    std::snprintf(buf, sizeof buf, "  %14zu %12zu %6s %15s %11.1f %9.3f %9.3f %7ld\n", r.bytes,
                  r.count, "float", r.op.c_str(), r.time_us, r.algbw, r.busbw, r.wrong);
    s += buf;
  }
  long wrong = 0;
  for (const auto& r : rows) wrong += r.wrong;
  std::snprintf(buf, sizeof buf, "# out of bounds values : %ld %s\n", wrong,
                wrong ? "FAILED" : "OK");
  s += buf;
  return s;
}

std::string bench_json(const std::vector<BenchRow>& rows, const std::string& backend, int world) {
  nlohmann::json j = {{"backend", backend},
                      {"ranks", world},
                      {"type", "float32"},
                      {"rows", nlohmann::json::array()}};
  for (const auto& r : rows) {
    j["rows"].push_back({{"op", r.op},
                         {"bytes", r.bytes},
                         {"count", r.count},
                         {"time_us", r.time_us},
                         {"algbw_gbs", r.algbw},
                         {"busbw_gbs", r.busbw},
                         {"wrong", r.wrong}});
  }
  return j.dump(2) + "\n";
}

}  // namespace itwin::comm
