// itwin train / run / infer: run a pipeline of a YAML file here and now.
#include <CLI/CLI.hpp>
#include <memory>

#include "itwin/launch/world.hpp"
#include "itwin/util/error.hpp"
#include "pipeline_args.hpp"
#include "setups.hpp"
#include "torch_side.hpp"

namespace itwin::cli {
namespace {

struct RunCommandOptions {
  PipelineArgs args;
  train::RunOptions run;
  int nproc = 1;
  std::string default_pipeline;  ///< "" = the only pipeline of the file
};

int run_command(const RunCommandOptions& o, const Invocation& inv) {
  config::Config cfg = load_from_args(o.args);
  config::Pipeline p = select_for_command(cfg, o.args, o.default_pipeline);
  if (o.nproc > 1) {
    // --nproc N: re-run this same command line as N ranks.
    if (launch::detect_world().world > 1) {
      throw UsageError(
          "--nproc starts ranks itself; this process is already rank of a launched job (drop "
          "--nproc)");
    }
    if (cfg.distributed.backend == config::BackendKind::Local) {
      throw UsageError("--nproc " + std::to_string(o.nproc) +
                       " needs a communication backend, not 'local'");
    }
    return spawn_ranks(o.nproc, cfg.distributed.backend, inv);
  }
  return torch_run_pipeline(cfg, p, o.run, inv);
}

Runner add_run_command(CLI::App& cmd, const Invocation& inv, const std::string& default_pipeline,
                       bool config_required) {
  auto o = std::make_shared<RunCommandOptions>();
  o->default_pipeline = default_pipeline;
  add_pipeline_args(&cmd, o->args, config_required);
  cmd.add_option("--run-dir", o->run.run_dir,
                 "run directory (default: <run.root>/<run.name>, or .1, .2, ... when it exists)");
  cmd.add_flag(
      "--resume", o->run.resume,
      "continue from the latest checkpoint of the run directory (--run-dir, else the newest "
      "run of this name; same final weights as an uninterrupted run); a run killed before "
      "its first checkpoint starts from the beginning");
  cmd.add_option("--threads", o->run.threads,
                 "intra-op threads (default: run.threads, else OMP_NUM_THREADS, else the cores "
                 "available, divided among the ranks on this host)")
      ->check(CLI::Range(1, 4096));
  cmd.add_option(
         "--nproc", o->nproc,
         "start N local ranks for data-parallel training (through mpirun for the mpi backend, else "
         "itwin's own launcher); under mpirun or srun, leave it out: itwin joins the existing "
         "world")
      ->check(CLI::Range(1, 1024));
  cmd.add_option(
         "--until-epoch", o->run.until_epoch,
         "train only up to this epoch of the configured ones, checkpoint and stop (status PAUSED); "
         "--resume continues exactly (used by itwin hpo for ASHA rungs)")
      ->check(CLI::Range(int64_t{1}, int64_t{1000000}));
  cmd.add_option("--parent-run", o->run.parent_run,
                 "nest the run of every mlflow logger under this MLflow run id (a study's run)");
  return [o, &inv] { return run_command(*o, inv); };
}

}  // namespace

Runner setup_train(CLI::App& cmd, const Invocation& inv) {
  return add_run_command(cmd, inv, "training", false);
}
Runner setup_run(CLI::App& cmd, const Invocation& inv) {
  return add_run_command(cmd, inv, "", true);
}
Runner setup_infer(CLI::App& cmd, const Invocation& inv) {
  return add_run_command(cmd, inv, "inference", true);
}

}  // namespace itwin::cli
