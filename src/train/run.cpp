// Running a pipeline: join the world, run the steps, end the session.
//
// Per rank (every rank runs the same steps in the same order):
//   1. join the world the launcher started (a world of one without one);
//   2. run the steps that only compute (dataset, model, command) and check
//      the next step against their results: a mismatch the config causes is
//      exit 2 with nothing written;
//   3. open the session (run directory, provenance, loggers) before the first
//      step that writes, then run the rest;
//   4. end the session: FINISHED, PAUSED, KILLED (a stop request) or FAILED.
// An error on one rank alone ends the whole job (end_job_alone); an error all
// ranks agreed on (CollectiveError) lets them leave together.
#include "itwin/train/run.hpp"

#include <signal.h>

#include <cstdlib>
#include <cstring>
#include <exception>

#include "itwin/launch/join.hpp"
#include "itwin/train/session.hpp"
#include "itwin/util/error.hpp"
#include "itwin/util/log.hpp"
#include "itwin/util/signals.hpp"
#include "itwin/util/startup_trace.hpp"
#include "itwin/util/sysinfo.hpp"
#include "rank_sync.hpp"
#include "steps.hpp"

namespace itwin::train {
namespace {

// Intra-op threads: the user's choice, else the cores this rank may use
// (shared with the other ranks of its host); only then `adaptive`: the
// trainer gives up the cores other processes keep busy.
Threads thread_count(const config::Config& cfg, const RunOptions& o, int local_world) {
  if (o.threads > 0) return {o.threads, false};
  if (cfg.run.threads > 0) return {cfg.run.threads, false};
  if (const char* omp = std::getenv("OMP_NUM_THREADS")) {
    int v = std::atoi(omp);
    if (v > 0) return {v, false};
  }
  return {std::max(1, cores_available() / local_world), local_world == 1};
}

// --parent-run: every mlflow logger nests under that run.
RunOptions with_parents(const config::Config& cfg, RunOptions o) {
  if (o.parent_run.empty()) return o;
  o.parent_runs.resize(std::max(o.parent_runs.size(), cfg.loggers.size()));
  for (size_t i = 0; i < cfg.loggers.size(); ++i) {
    if (cfg.loggers[i].type == config::LoggerKind::Mlflow && o.parent_runs[i].empty())
      o.parent_runs[i] = o.parent_run;
  }
  return o;
}

// A stop request between steps: every rank learns it; the run ends KILLED.
void check_stop(comm::Backend& comm, const std::string& before) {
  int64_t sig = stop_requested();
  if (comm.world() > 1) comm.allreduce(&sig, 1, comm::DType::I64, comm::ReduceOp::Max);
  if (!sig) return;
  throw CollectiveError("stopped by signal " + std::to_string(sig) + " (" +
                            strsignal(static_cast<int>(sig)) + ") before step '" + before + "'",
                        sig == SIGINT ? kExitInterrupted : kExitPreempted);
}

const char* status_of(const Error& e) {
  return e.exit_code() == kExitPreempted || e.exit_code() == kExitInterrupted ? "KILLED" : "FAILED";
}

void run_steps(RunSession& session, StepRunner& steps, const config::Pipeline& pipeline) {
  for (const auto& step : pipeline.steps) {
    startup_mark(("step " + step.name).c_str());
    check_stop(session.comm(), step.name);
    if (!session.is_open()) {
      // Until the run directory exists, every step's outcome is agreed: a
      // failure on any rank is every rank's, so all record it and leave together.
      if (step_needs_session(step)) {
        all_or_none(session.comm(), [&] { steps.check(step); });
        session.open();
      } else {
        all_or_none(session.comm(), [&] { steps.run(step, session); });
        continue;
      }
    }
    if (steps.run(step, session) == StepOutcome::Paused) {
      session.finish("PAUSED", "");
      return;
    }
  }
  session.open();  // a pipeline of computations alone still leaves its run directory
  session.finish("FINISHED", "");
}

}  // namespace

void run_pipeline(const config::Config& cfg, const config::Pipeline& pipeline,
                  const RunOptions& opts) {
  install_stop_handlers();
  const CpuSnapshot start = cpu_snapshot();  // who else is busy, measured while the data loads
  launch::Joined j = launch::join_world(cfg.distributed.backend, cfg.distributed.rendezvous,
                                        cfg.distributed.timeout);
  startup_mark("joined");
  comm::Backend& comm = *j.comm;
  init_logging(comm.rank(), comm.world());
  const Threads threads = thread_count(cfg, opts, j.world.local_world);
  // LibTorch parallelizes around BLAS calls; a BLAS with its own threads on
  // top oversubscribes the cores. Respect an explicit OPENBLAS_NUM_THREADS.
  if (!std::getenv("OPENBLAS_NUM_THREADS")) set_blas_threads(1);
  RunSession session(comm, j.world, j.backend, cfg, pipeline, with_parents(cfg, opts),
                     threads.count);
  startup_mark("session");
  try {
    auto steps = make_step_runner(cfg, threads, start);
    run_steps(session, *steps, pipeline);
  } catch (const CollectiveError& e) {
    // Every rank is here together: a failure before the run directory was
    // made still leaves a record of it, unless the config was the cause
    // (exit 2: nothing is written).
    if (!session.is_open() && e.exit_code() != kExitBadInput) {
      try {
        session.open();
      } catch (const std::exception& open_error) {
        spdlog::error("cannot record the failure in a run directory: {}", open_error.what());
      }
    }
    session.finish(status_of(e), e.what());
    throw;  // every rank stops here together
  } catch (const Error& e) {
    session.finish(status_of(e), e.what(), /*together=*/false);
    if (comm.world() > 1) end_job_alone(comm, e, session.console_fd());
    throw;
  } catch (const std::exception& e) {  // e.g. a filesystem_error from a full disk
    RuntimeError error(e.what());
    session.finish("FAILED", error.what(), /*together=*/false);
    if (comm.world() > 1) end_job_alone(comm, error, session.console_fd());
    throw error;
  }
}

}  // namespace itwin::train
