// itwin bench comm: collective bandwidth per backend, nccl-tests style.
#include "itwin/comm/bench.hpp"

#include <CLI/CLI.hpp>
#include <cmath>
#include <cstdio>
#include <memory>

#include "itwin/launch/world.hpp"
#include "itwin/util/error.hpp"
#include "itwin/util/strings.hpp"
#include "itwin/util/sysinfo.hpp"
#include "pipeline_args.hpp"
#include "setups.hpp"
#include "torch_side.hpp"

namespace itwin::cli {
namespace {

struct BenchCommOptions {
  std::string backend = "auto";
  int nproc = 1;
  std::string min = "8", max = "64M", rendezvous, json;
  size_t factor = 2;
  int iters = 20, warmup = 3;
  std::vector<std::string> ops = {"allreduce", "allgather", "broadcast", "reduce_scatter"};
  double timeout = 120;
};

// "8", "1K", "64M", "1G": whole bytes, at least one float32, at most 1 TiB.
size_t parse_size(const std::string& s, const char* what) {
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  std::string unit = end ? end : "";
  double mult = unit.empty() || unit == "B" ? 1
                : unit == "K"               ? 1024
                : unit == "M"               ? 1024.0 * 1024
                : unit == "G"               ? 1024.0 * 1024 * 1024
                                            : -1;
  if (end == s.c_str() || mult < 0 || !std::isfinite(v) || v <= 0) {
    throw UsageError(std::string(what) + ": expected a size like 8, 1K, 64M or 1G, got '" + s +
                     "'");
  }
  double bytes = v * mult;
  if (bytes < 4)
    throw UsageError(std::string(what) + " '" + s + "' is smaller than one float32 (4 bytes)");
  if (bytes > 1024.0 * 1024 * 1024 * 1024)
    throw UsageError(std::string(what) + " '" + s + "' is larger than 1 TiB");
  return static_cast<size_t>(bytes);
}

// Every rank of this host holds an input and an output of up to max bytes.
void check_memory(size_t max_bytes, int ranks_here) {
  const double need = 2.0 * static_cast<double>(max_bytes) * ranks_here;
  const double have = static_cast<double>(available_memory_bytes());
  if (have > 0 && need > 0.8 * have) {
    throw UsageError("--max-bytes " + format_bytes(static_cast<double>(max_bytes)) +
                     " needs about " + format_bytes(need) + " on this host (" +
                     std::to_string(ranks_here) + " rank(s) x input and output), but only " +
                     format_bytes(have) + " is available; choose a smaller --max-bytes");
  }
}

int run_bench_comm(const BenchCommOptions& o, const Invocation& inv) {
  comm::BenchOptions bo;
  bo.ops = o.ops;
  bo.min_bytes = parse_size(o.min, "--min-bytes");
  bo.max_bytes = parse_size(o.max, "--max-bytes");
  if (bo.max_bytes < bo.min_bytes) throw UsageError("--max-bytes is smaller than --min-bytes");
  bo.factor = o.factor;
  bo.iters = o.iters;
  bo.warmup = o.warmup;
  auto requested = config::backend_catalog().find(o.backend);
  if (o.nproc > 1) {
    if (launch::detect_world().world > 1)
      throw UsageError("--nproc starts ranks itself; drop it under mpirun or srun");
    check_memory(bo.max_bytes, o.nproc);
    return spawn_ranks(o.nproc, *requested, inv);
  }
  check_memory(bo.max_bytes, launch::detect_world().local_world);
  return torch_bench_comm(bo, o.backend, o.rendezvous, o.timeout, o.json, inv);
}

}  // namespace

Runner setup_bench(CLI::App& bench, const Invocation& inv) {
  auto o = std::make_shared<BenchCommOptions>();
  auto* c = bench.add_subcommand("comm",
                                 "Time allreduce, allgather, broadcast and reduce_scatter over "
                                 "message sizes on this world's ranks "
                                 "(start them with --nproc N, mpirun or srun); print size, time, "
                                 "algbw, busbw and wrong elements.");
  c->add_option("--backend", o->backend, join(config::backend_catalog().names(), ", "))
      ->check(CLI::IsMember(config::backend_catalog().names()));
  c->add_option("--nproc", o->nproc, "start N local ranks")->check(CLI::Range(1, 1024));
  c->add_option("-b,--min-bytes", o->min, "smallest message (8, 1K, 64M, ...)");
  c->add_option("-e,--max-bytes", o->max, "largest message");
  c->add_option("-f,--factor", o->factor, "size multiplier between steps")
      ->check(CLI::Range(2, 1024));
  c->add_option("-n,--iters", o->iters, "timed iterations per size")->check(CLI::Range(1, 100000));
  c->add_option("-w,--warmup", o->warmup, "untimed iterations per size")
      ->check(CLI::Range(0, 100000));
  c->add_option("--ops", o->ops, "collectives, comma-separated")->delimiter(',');
  c->add_option("--rendezvous", o->rendezvous,
                "gloo/nccl: file:PATH or tcp:HOST:PORT (default: from the launcher)");
  c->add_option("--json", o->json, "also write the rows as JSON to this file");
  return dispatch_sub(bench, {{c, [o, &inv] { return run_bench_comm(*o, inv); }}});
}

}  // namespace itwin::cli
