// The catalogs of a study's plug-in points: parameter types, samplers,
// trial schedulers, which value of a trial counts.
#include "itwin/config/hpo_spec.hpp"

namespace itwin::config {

const Catalog<ParamType>& hpo_param_catalog() {
  static const Catalog<ParamType> c(
      "hpo.space.*.type",
      {{ParamType::Uniform, "uniform", "a real number in [low, high], uniform"},
       {ParamType::QUniform, "quniform", "low + k*step <= high, each equally likely"},
       {ParamType::LogUniform, "loguniform",
        "a real number in [low, high], uniform in log space (low > 0)"},
       {ParamType::Int, "int", "an integer in [low, high]"},
       {ParamType::QInt, "qint", "an integer low + k*step <= high"},
       {ParamType::LogInt, "logint", "an integer in [low, high], log-uniform (low >= 1)"},
       {ParamType::Choice, "choice", "one of `values` (any YAML values)"},
       {ParamType::Grid, "grid", "every one of `values`, crossed with the other grid parameters"}});
  return c;
}

const Catalog<SamplerKind>& hpo_sampler_catalog() {
  static const Catalog<SamplerKind> c(
      "hpo.sampler",
      {{SamplerKind::Random, "random",
        "independent draws; grid parameters cycle through their grid"},
       {SamplerKind::Grid, "grid", "every point of the grid parameters' product, in order, once"},
       {SamplerKind::Tpe, "tpe",
        "Tree-structured Parzen Estimator (Optuna's default): random first, then l(x)/g(x)"}});
  return c;
}

const Catalog<TrialSchedulerKind>& hpo_scheduler_catalog() {
  static const Catalog<TrialSchedulerKind> c(
      "hpo.scheduler",
      {{TrialSchedulerKind::Fifo, "fifo", "every trial trains to max_t"},
       {TrialSchedulerKind::Asha, "asha",
        "asynchronous successive halving: trials pause at rungs, the top 1/reduction_factor "
        "continue"},
       {TrialSchedulerKind::Hyperband, "hyperband", "brackets of synchronous successive halving"},
       {TrialSchedulerKind::Median, "median",
        "stop a trial whose best is worse than the median of the others' running means"}});
  return c;
}

const Catalog<ScoreKind>& hpo_score_catalog() {
  static const Catalog<ScoreKind> c(
      "hpo.score", {{ScoreKind::Last, "last", "the latest epoch's value"},
                    {ScoreKind::Best, "best", "the best value so far"},
                    {ScoreKind::Mean, "mean", "the mean of the last score_window epochs"}});
  return c;
}

std::vector<CatalogView> hpo_catalogs() {
  return {view_of(hpo_param_catalog(), "Search-space types"),
          view_of(hpo_sampler_catalog(), "Samplers"),
          view_of(hpo_scheduler_catalog(), "Trial schedulers"),
          view_of(hpo_score_catalog(), "Trial scores")};
}

}  // namespace itwin::config
