// itwin validate: check a pipeline file and show what would run.
#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "itwin/config/load.hpp"
#include "pipeline_args.hpp"
#include "setups.hpp"

namespace itwin::cli {
namespace {

struct ValidateOptions {
  PipelineArgs args;
  bool resolved = false;
  bool json = false;
};

int run_validate(const ValidateOptions& o) {
  config::Config cfg = load_from_args(o.args);
  // Selecting checks --pipeline/--steps against the file as well.
  if (!o.args.pipeline.empty() || !o.args.steps.empty()) {
    config::Pipeline p = config::select_pipeline(cfg, o.args.pipeline, o.args.steps);
    cfg.pipelines = {p};
  }
  if (o.resolved) {
    std::cout << config::to_yaml(cfg.resolved);
    return 0;
  }
  if (o.json) {
    nlohmann::json j;
    j["file"] = cfg.source;
    j["valid"] = true;
    j["run"] = {{"name", cfg.run.name}, {"root", cfg.run.root}, {"seed", cfg.run.seed}};
    for (const auto& p : cfg.pipelines) {
      nlohmann::json steps = nlohmann::json::array();
      for (const auto& s : p.steps) steps.push_back({{"name", s.name}, {"type", s.type()}});
      j["pipelines"][p.name] = steps;
    }
    std::cout << j.dump(2) << "\n";
    return 0;
  }
  std::cout << cfg.source << ": ok\n";
  for (const auto& p : cfg.pipelines) {
    std::cout << "  pipeline " << p.name
              << (p.description.empty() ? "" : " (" + p.description + ")") << ":";
    for (const auto& s : p.steps) std::cout << " " << s.name << "[" << s.type() << "]";
    std::cout << "\n";
  }
  return 0;
}

}  // namespace

Runner setup_validate(CLI::App& cmd, const Invocation&) {
  auto o = std::make_shared<ValidateOptions>();
  add_pipeline_args(&cmd, o->args, false);
  auto* resolved =
      cmd.add_flag("--resolved", o->resolved,
                   "print the fully resolved config (includes merged, ${...} replaced, --set "
                   "applied, defaults filled in): exactly what will run");
  cmd.add_flag("--json", o->json, "print a JSON summary")->excludes(resolved);
  return [o] { return run_validate(*o); };
}

}  // namespace itwin::cli
