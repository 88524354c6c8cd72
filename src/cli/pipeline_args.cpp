#include "pipeline_args.hpp"

#include "itwin/util/strings.hpp"

namespace itwin::cli {

void add_pipeline_args(CLI::App* cmd, PipelineArgs& a, bool config_required) {
  auto* c = cmd->add_option("config", a.config,
                            config_required ? "pipeline YAML file"
                                            : "pipeline YAML file (default: the built-in Fashion-MNIST example)");
  if (config_required) c->required();
  cmd->add_option("-p,--pipeline", a.pipeline, "which pipeline of the file to run (e.g. training, inference)");
  cmd->add_option("--steps", a.steps, "run only these steps, comma-separated names (e.g. data,train)")
      ->delimiter(',');
  cmd->add_option("--set", a.sets,
                  "override a value: --set pipelines.training.steps.train.epochs=3 or --set vars.lr=0.1 "
                  "(repeatable; the value is YAML, so lists like [1,2] work)")
      ->allow_extra_args(false);
}

config::Config load_from_args(const PipelineArgs& a) {
  config::LoadOptions opts;
  opts.overrides = a.sets;
  if (a.config.empty()) return config::load_config_text(kEmbeddedPipeline, kEmbeddedPipelineName, opts);
  return config::load_config(a.config, opts);
}

}  // namespace itwin::cli
