// itwin train / run / infer: run a pipeline of a YAML file here and now.
#include <CLI/CLI.hpp>
#include <unistd.h>

#include <cstdlib>
#include <memory>

#include "itwin/cli/commands.hpp"
#include "itwin/comm/backend.hpp"
#include "itwin/launch/spawn.hpp"
#include "itwin/launch/world.hpp"
#include "itwin/util/error.hpp"
#include "itwin/train/run.hpp"
#include "itwin/util/strings.hpp"
#include "pipeline_args.hpp"

namespace itwin::cli {
namespace {

struct RunCommandOptions {
  PipelineArgs args;
  train::RunOptions run;
  int nproc = 1;
  std::string default_pipeline;  ///< "" = the only pipeline of the file
};

// --nproc N: re-run this same command line as N ranks (mpirun for mpi,
// itwin's own launcher with a file rendezvous otherwise).
int run_as_ranks(const RunCommandOptions& o, const config::Config& cfg) {
  if (launch::detect_world().world > 1) {
    throw UsageError("--nproc starts ranks itself; this process is already rank of a launched job (drop --nproc)");
  }
  const std::string& b = cfg.distributed.backend;
  if (b == "local") throw UsageError("--nproc " + std::to_string(o.nproc) + " needs a communication backend, not 'local'");
  return spawn_ranks(o.nproc, b);
}

void run_command(const RunCommandOptions& o) {
  config::Config cfg = load_from_args(o.args);
  if (o.nproc > 1) {
    command_status() = run_as_ranks(o, cfg);
    return;
  }
  config::Pipeline p = select_for_command(cfg, o.args, o.default_pipeline);
  train::run_pipeline(cfg, p, o.run);
}

void add_run_command(CLI::App& app, const std::string& name, const std::string& help,
                     const std::string& default_pipeline, bool config_required) {
  auto o = std::make_shared<RunCommandOptions>();
  o->default_pipeline = default_pipeline;
  auto* cmd = app.add_subcommand(name, help);
  add_pipeline_args(cmd, o->args, config_required);
  cmd->add_option("--run-dir", o->run.run_dir,
                  "run directory (default: <run.root>/<run.name>, or .1, .2, ... when it exists)");
  cmd->add_flag("--resume", o->run.resume,
                "continue from the latest checkpoint in the run directory (same final weights as an "
                "uninterrupted run)");
  cmd->add_option("--threads", o->run.threads, "intra-op threads (default: run.threads, else the cores available)")
      ->check(CLI::Range(1, 4096));
  cmd->add_option("--nproc", o->nproc,
                  "start N local ranks for data-parallel training (through mpirun for the mpi backend, else "
                  "itwin's own launcher); under mpirun or srun, leave it out: itwin joins the existing world")
      ->check(CLI::Range(1, 1024));
  cmd->callback([o] { run_command(*o); });
}

}  // namespace

void setup_train(CLI::App& app) {
  add_run_command(app, "train",
                  "Train: run the 'training' pipeline of CONFIG (dataset, model, trainer steps) in this process. "
                  "Without CONFIG, trains the built-in Fashion-MNIST example.",
                  "training", false);
  add_run_command(app, "run", "Run any pipeline of CONFIG (choose it with --pipeline when the file has several).", "",
                  true);
  add_run_command(app, "infer", "Inference: run the 'inference' pipeline of CONFIG (dataset, model, predictor, saver).",
                  "inference", true);
}

}  // namespace itwin::cli
