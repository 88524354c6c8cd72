// itwin bench comm: collective bandwidth per backend, nccl-tests style.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <memory>

#include "itwin/cli/commands.hpp"
#include "itwin/comm/bench.hpp"
#include "itwin/launch/world.hpp"
#include "itwin/util/error.hpp"
#include "itwin/util/fs.hpp"
#include "itwin/util/strings.hpp"
#include "pipeline_args.hpp"

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

size_t parse_size(const std::string& s, const char* what) {
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  std::string unit = end ? end : "";
  double mult = unit.empty() || unit == "B" ? 1 : unit == "K" ? 1024 : unit == "M" ? 1024.0 * 1024 : unit == "G" ? 1024.0 * 1024 * 1024 : -1;
  if (end == s.c_str() || mult < 0 || v <= 0) {
    throw UsageError(std::string(what) + ": expected a size like 8, 1K, 64M or 1G, got '" + s + "'");
  }
  return static_cast<size_t>(v * mult);
}

void run_bench_comm(const BenchCommOptions& o) {
  if (o.nproc > 1) {
    if (launch::detect_world().world > 1) throw UsageError("--nproc starts ranks itself; drop it under mpirun or srun");
    command_status() = spawn_ranks(o.nproc, o.backend);
    return;
  }
  launch::World w = launch::detect_world();
  std::string name = comm::resolve_backend(o.backend, w.world, w.launcher);
  auto b = comm::make_backend(name, {w.rank, w.world, w.local_rank, w.local_world,
                                     o.rendezvous.empty() ? w.rendezvous : o.rendezvous, o.timeout});
  comm::BenchOptions bo;
  bo.ops = o.ops;
  bo.min_bytes = parse_size(o.min, "--min-bytes");
  bo.max_bytes = parse_size(o.max, "--max-bytes");
  if (bo.max_bytes < bo.min_bytes) throw UsageError("--max-bytes is smaller than --min-bytes");
  bo.factor = o.factor;
  bo.iters = o.iters;
  bo.warmup = o.warmup;
  auto rows = comm::run_bench(*b, bo);
  if (b->rank() != 0) return;
  std::fputs(comm::format_bench(rows, name, b->world()).c_str(), stdout);
  if (!o.json.empty()) write_file_atomic(o.json, comm::bench_json(rows, name, b->world()));
  for (const auto& r : rows) {
    if (r.wrong) command_status() = kExitFailure;
  }
}

}  // namespace

void setup_bench(CLI::App& app) {
  auto* bench = app.add_subcommand("bench", "Benchmarks (comm: collective bandwidth per backend, nccl-tests style)");
  bench->require_subcommand(1);
  auto o = std::make_shared<BenchCommOptions>();
  auto* c = bench->add_subcommand(
      "comm", "Time allreduce, allgather, broadcast and reduce_scatter over message sizes on this world's ranks "
              "(start them with --nproc N, mpirun or srun); print size, time, algbw, busbw and wrong elements.");
  c->add_option("--backend", o->backend, "auto, local, mpi, gloo or nccl")->check(CLI::IsMember({"auto", "local", "mpi", "gloo", "nccl"}));
  c->add_option("--nproc", o->nproc, "start N local ranks")->check(CLI::Range(1, 1024));
  c->add_option("-b,--min-bytes", o->min, "smallest message (8, 1K, 64M, ...)");
  c->add_option("-e,--max-bytes", o->max, "largest message");
  c->add_option("-f,--factor", o->factor, "size multiplier between steps")->check(CLI::Range(2, 1024));
  c->add_option("-n,--iters", o->iters, "timed iterations per size")->check(CLI::Range(1, 100000));
  c->add_option("-w,--warmup", o->warmup, "untimed iterations per size")->check(CLI::Range(0, 100000));
  c->add_option("--ops", o->ops, "collectives, comma-separated")->delimiter(',');
  c->add_option("--rendezvous", o->rendezvous, "gloo/nccl: file:PATH or tcp:HOST:PORT (default: from the launcher)");
  c->add_option("--json", o->json, "also write the rows as JSON to this file");
  c->callback([o] { run_bench_comm(*o); });
}

}  // namespace itwin::cli
