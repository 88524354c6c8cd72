#pragma once
/// A pipeline file, parsed and validated once at the edge. Callers get typed
/// structs; the YAML never travels further.

#include <map>
#include <string>
#include <vector>

#include "itwin/config/hpo_spec.hpp"
#include "itwin/config/monitor_spec.hpp"
#include "itwin/config/node.hpp"
#include "itwin/config/specs.hpp"
#include "itwin/slurm/job.hpp"

namespace itwin::config {

struct Step {
  std::string name;
  StepKind kind = StepKind::Command;
  Mark mark;
  StepSpec spec;
  const char* type() const { return step_catalog().name(kind); }  ///< "dataset", "trainer", ...
};

/// What steps hand to the steps after them: the step graph of a pipeline is
/// checked before anything runs (each step's needs met by earlier steps).
enum class Artifact { Data, Model, Predictions };
const char* artifact_name(Artifact a);  ///< "a dataset step", ...
std::vector<Artifact> step_needs(const Step& s);
std::vector<Artifact> step_provides(const Step& s);

/// A model step another step names (a gan_trainer's generator and
/// discriminator, a generate step's generator), and the role it must play.
struct ModelRef {
  std::string key;   ///< the naming key: "generator", "discriminator", "model"
  std::string step;  ///< the model step's name
  config::GanRole role;
};
std::vector<ModelRef> step_model_refs(const Step& s);
/// The part a model plays in a GAN: implied by gan3d_* archs, else its `role`.
GanRole model_role(const ModelSpec& m);

struct Pipeline {
  std::string name;
  std::string description;
  Mark mark;
  std::vector<Step> steps;
};

struct Config {
  std::string source;  ///< the file (or "<embedded:...>")
  RunSpec run;
  DistributedSpec distributed;
  slurm::Profile slurm_profile;      ///< `slurm.profile` (default: generic)
  slurm::Settings slurm;             ///< the profile's defaults with `slurm:` applied
  std::vector<LoggerSpec> loggers;   ///< `loggers:` (default: one jsonl logger)
  std::vector<std::string> plugins;  ///< `plugins:`, loaded (canonical paths)
  MonitorSpec monitor;               ///< `monitor:` (hardware monitor, carbon intensity)
  std::vector<Pipeline> pipelines;
  HpoSpec hpo;    ///< `hpo:` (present = false without one)
  Node resolved;  ///< everything that will run, defaults filled in

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
Config load_config_text(const std::string& text, const std::string& name,
                        const LoadOptions& opts = {}, const std::string& base_dir = ".");

/// The pipeline `name` (empty: `default` if only one pipeline exists), cut to
/// `steps` when given (names, in pipeline order). Errors name the choices.
Pipeline select_pipeline(const Config& cfg, const std::string& name,
                         const std::vector<std::string>& steps);

/// Throws ConfigError at the first step whose needs no earlier step of `p`
/// provides. `context` says how the pipeline was cut (e.g. "--steps train"), or "".
void check_step_graph(const Pipeline& p, const std::string& context = "");

}  // namespace itwin::config
