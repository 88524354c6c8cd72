#pragma once
/// A pipeline file, parsed and validated once at the edge. Callers get typed
/// structs; the YAML never travels further.

#include <map>
#include <string>
#include <vector>

#include "itwin/config/hpo_spec.hpp"
#include "itwin/config/node.hpp"
#include "itwin/config/specs.hpp"
#include "itwin/slurm/job.hpp"

namespace itwin::config {

struct Step {
  std::string name;
  std::string type;  ///< registry name: dataset, model, trainer, ...
  Mark mark;
  StepSpec spec;
};

struct Pipeline {
  std::string name;
  std::string description;
  Mark mark;
  std::vector<Step> steps;
};

struct Config {
  std::string source;              ///< the file (or "<embedded:...>")
  RunSpec run;
  DistributedSpec distributed;
  slurm::Profile slurm_profile;    ///< `slurm.profile` (default: generic)
  slurm::Settings slurm;           ///< the profile's defaults with `slurm:` applied
  std::vector<LoggerSpec> loggers; ///< `loggers:` (default: one jsonl logger)
  std::vector<Pipeline> pipelines;
  HpoSpec hpo;                     ///< `hpo:` (present = false without one)
  Node resolved;                   ///< everything that will run, defaults filled in

  const Pipeline* find(const std::string& name) const;
  std::vector<std::string> pipeline_names() const;
};

/// The resolved settings of `run`, `distributed` and the pipeline's steps
/// as flat "a.b.c" -> "value" pairs (tracking parameters).
std::map<std::string, std::string> flat_params(const Config& cfg, const Pipeline& p);

struct LoadOptions {
  std::vector<std::string> overrides;  ///< `--set a.b=c`, applied in order
};

/// Loads, includes, overrides, interpolates and parses `path`.
Config load_config(const std::string& path, const LoadOptions& opts = {});
/// The same for text in memory (the embedded default, tests).
Config load_config_text(const std::string& text, const std::string& name, const LoadOptions& opts = {},
                        const std::string& base_dir = ".");

/// The pipeline `name` (empty: `default` if only one pipeline exists), cut to
/// `steps` when given (names, in pipeline order). Errors name the choices.
Pipeline select_pipeline(const Config& cfg, const std::string& name, const std::vector<std::string>& steps);

/// One row of the step-type registry (also the help text and the
/// did-you-mean dictionary for `type:`).
struct StepType {
  const char* name;
  const char* summary;
};
const std::vector<StepType>& step_types();

}  // namespace itwin::config
