#pragma once
/// The `hpo:` section of a pipeline file: which pipeline a study tunes, the
/// metric, the search space, the sampler and the trial scheduler. Plain data
/// (no YAML); docs/config.md documents every key with its default. Values of
/// `choice` and `grid` parameters are kept as YAML flow text, exactly what
/// `--set KEY=VALUE` takes.

#include <cstdint>
#include <string>
#include <vector>

#include "itwin/config/catalog.hpp"
#include "itwin/config/catalogs.hpp"

namespace itwin::config {

/// The plug-in points of a study, one catalog each (src/config/hpo_catalogs.cpp).
enum class ParamType { Uniform, QUniform, LogUniform, Int, QInt, LogInt, Choice, Grid };
enum class SamplerKind { Random, Grid, Tpe };
enum class TrialSchedulerKind { Fifo, Asha, Hyperband, Median };
enum class ScoreKind { Last, Best, Mean };

const Catalog<ParamType>& hpo_param_catalog();               ///< hpo.space.*.type
const Catalog<SamplerKind>& hpo_sampler_catalog();           ///< hpo.sampler
const Catalog<TrialSchedulerKind>& hpo_scheduler_catalog();  ///< hpo.scheduler
const Catalog<ScoreKind>& hpo_score_catalog();               ///< hpo.score
/// The four, for `itwin components` and docs/config.md.
std::vector<CatalogView> hpo_catalogs();

inline const char* name_of(ParamType v) { return hpo_param_catalog().name(v); }
inline const char* name_of(SamplerKind v) { return hpo_sampler_catalog().name(v); }
inline const char* name_of(TrialSchedulerKind v) { return hpo_scheduler_catalog().name(v); }
inline const char* name_of(ScoreKind v) { return hpo_score_catalog().name(v); }
inline const char* name_of(Mode v) { return mode_catalog().name(v); }

/// One entry of `hpo.space`.
struct HpoParam {
  std::string key;  ///< config key path, e.g. pipelines.training.steps.train.optimizer.lr
  ParamType type = ParamType::Uniform;
  double low = 0, high = 0;
  double step = 0;                  ///< quniform, qint (qint: an integer >= 1)
  std::vector<std::string> values;  ///< choice, grid: YAML flow text of each value
  /// Conditional parameter: active only while the earlier choice/grid
  /// parameter `when_key` takes one of `when_values` (indices into its values).
  std::string when_key;
  std::vector<size_t> when_values;
  std::string where;  ///< file:line:col of the entry, for errors found later
};

struct HpoSamplerSpec {
  SamplerKind kind = SamplerKind::Random;
  int64_t n_startup_trials = 10;  ///< tpe: random trials before the model is used
  int64_t n_ei_candidates = 24;   ///< tpe: candidates drawn from l(x) per parameter
  double prior_weight = 1.0;      ///< tpe: weight of the prior component
};

struct HpoSchedulerSpec {
  TrialSchedulerKind kind = TrialSchedulerKind::Fifo;
  int64_t grace_period = 1;  ///< asha/hyperband: first rung (epochs); median: epochs before a stop
  int64_t reduction_factor = 4;  ///< asha: 4, hyperband: 3
  int64_t max_t = 0;             ///< epochs a trial may reach (0: the trainer's epochs)
  int64_t brackets = 1;          ///< asha
  int64_t min_trials = 3;        ///< median: trials that must have reported an epoch first
};

struct HpoSpec {
  bool present = false;  ///< the file has an `hpo:` section
  std::string pipeline;  ///< the pipeline to tune (default: training, else the only one)
  std::string metric = "val_loss";
  Mode mode = Mode::Min;
  ScoreKind score = ScoreKind::Last;  ///< mean: of the last score_window epochs
  int64_t score_window = 3;
  int64_t trials = 10;      ///< grid: 0 = every point of the grid
  int64_t concurrency = 0;  ///< trials at once (0: as many as the ranks allow)
  int64_t ranks_per_trial = 1;
  /// How one-rank local trials start: fork from a zygote that loaded LibTorch
  /// and decoded the data once (true, `isolation: fork`), or exec `itwin
  /// train` each time (`isolation: exec`). Other trials always exec.
  bool fork_trials = true;
  double time_budget = 0;  ///< seconds for the whole study (0: none)
  uint64_t seed = 0;       ///< default: run.seed
  std::string dir;         ///< study directory (default: <run.root>/<run.name>-hpo)
  std::vector<HpoParam> space;
  HpoSamplerSpec sampler;
  HpoSchedulerSpec scheduler;
  // Locations (file:line:col), for errors found once the ranks or the
  // pipeline's metrics are known.
  std::string where, metric_where, ranks_where, pipeline_where, trials_where;
};

/// The YAML text of `path` with its includes merged and nothing else done
/// (no interpolation, no overrides): what a study keeps as its config.
std::string snapshot_config(const std::string& path);

/// `text` (a snapshot) with `overrides` (KEY=VALUE) applied and the top-level
/// keys in `drop` removed, as YAML text: a study's best.yaml.
std::string apply_to_snapshot(const std::string& text, const std::string& name,
                              const std::vector<std::string>& overrides,
                              const std::vector<std::string>& drop);

/// Whether `path` (a.b.c) names an existing `vars` entry of `text`, or is not
/// under `vars` at all. A study may only tune variables the file defines.
bool vars_path_exists(const std::string& text, const std::string& name, const std::string& path);

}  // namespace itwin::config
