#include "pipeline_args.hpp"

#include "itwin/comm/backend.hpp"
#include "itwin/launch/spawn.hpp"
#include "torch_side.hpp"

namespace itwin::cli {

void add_pipeline_args(CLI::App* cmd, PipelineArgs& a, bool config_required) {
  auto* c = cmd->add_option(
      "config", a.config,
      config_required ? "pipeline YAML file"
                      : "pipeline YAML file (default: the built-in Fashion-MNIST example)");
  if (config_required) c->required();
  cmd->add_option("-p,--pipeline", a.pipeline,
                  "which pipeline of the file to run (e.g. training, inference)");
  cmd->add_option("--steps", a.steps,
                  "run only these steps, comma-separated names (e.g. data,train)")
      ->delimiter(',');
  cmd->add_option(
         "--set", a.sets,
         "override a value: --set pipelines.training.steps.train.epochs=3 or --set vars.lr=0.1 "
         "(repeatable; the value is YAML, so lists like [1,2] work)")
      ->allow_extra_args(false);
}

int spawn_ranks(int nproc, config::BackendKind backend, const Invocation& inv) {
  launch::SpawnOptions so;
  so.nproc = nproc;
  so.use_mpirun = comm::resolve_backend(backend, nproc, "none") == config::BackendKind::Mpi;
  so.program = rank_program();
  const auto& all = inv.args;
  for (size_t i = 0; i < all.size(); ++i) {
    if (all[i] == "--nproc") {
      ++i;
      continue;
    }
    if (all[i].rfind("--nproc=", 0) == 0) continue;
    so.args.push_back(all[i]);
  }
  return launch::spawn_local(so);
}

config::Pipeline select_for_command(const config::Config& cfg, const PipelineArgs& a,
                                    const std::string& default_pipeline) {
  std::string name = a.pipeline;
  if (name.empty() && !default_pipeline.empty() &&
      (cfg.find(default_pipeline) || cfg.pipelines.size() != 1)) {
    name = default_pipeline;
  }
  return config::select_pipeline(cfg, name, a.steps);
}

config::Config load_from_args(const PipelineArgs& a) {
  config::LoadOptions opts;
  opts.overrides = a.sets;
  if (a.config.empty())
    return config::load_config_text(kEmbeddedPipeline, kEmbeddedPipelineName, opts);
  return config::load_config(a.config, opts);
}

}  // namespace itwin::cli
