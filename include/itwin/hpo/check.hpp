#pragma once
/// Checks of a study that need more than its own section: every space
/// parameter must land on a key the pipeline reads (tried as a `--set`
/// override of the file, with each of its values and its condition), and
/// the ranks must fit. Errors are ConfigErrors at the entry's file:line:col.

#include <string>
#include <vector>

#include "itwin/config/pipeline.hpp"

namespace itwin::hpo {

/// Loads `path` with `sets` plus each parameter's values in turn.
void check_space(const config::Config& cfg, const std::string& path,
                 const std::vector<std::string>& sets);

/// A grid sampler's grid (conditions applied) must hold `trials` points.
void check_trials(const config::HpoSpec& spec);

/// How many trials run at once on `available` ranks (0: unknown, then
/// `concurrency`, default 1). Throws when ranks_per_trial or
/// concurrency x ranks_per_trial do not fit.
int plan_concurrency(const config::HpoSpec& spec, int available);

}  // namespace itwin::hpo
