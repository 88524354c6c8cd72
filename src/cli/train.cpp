// itwin train / run / infer: run a pipeline of a YAML file here and now.
#include <CLI/CLI.hpp>
#include <memory>

#include "itwin/cli/commands.hpp"
#include "itwin/train/run.hpp"
#include "pipeline_args.hpp"

namespace itwin::cli {
namespace {

struct RunCommandOptions {
  PipelineArgs args;
  train::RunOptions run;
  std::string default_pipeline;  ///< "" = the only pipeline of the file
};

void run_command(const RunCommandOptions& o) {
  config::Config cfg = load_from_args(o.args);
  std::string name = o.args.pipeline.empty() ? o.default_pipeline : o.args.pipeline;
  if (name.empty() == false && o.args.pipeline.empty() && !cfg.find(name) && cfg.pipelines.size() == 1) {
    name.clear();  // a one-pipeline file runs whatever its pipeline is called
  }
  config::Pipeline p = config::select_pipeline(cfg, name, o.args.steps);
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
