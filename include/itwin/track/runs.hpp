#pragma once
/// Run directories read back: `itwin runs list|show|compare`.

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace itwin::track {

struct RunRecord {
  std::string dir;                       ///< the run directory
  std::string status, pipeline, config;  ///< from summary.json
  double started = 0, wall_seconds = 0;
  std::map<std::string, double> metrics;      ///< final metrics (last epoch + test_*)
  std::map<std::string, std::string> params;  ///< the resolved config, flattened
  std::vector<std::string>
      tracked;  ///< the runs its loggers created: "mlflow RUN_ID (experiment E, STORE)"
};

/// Every run directory (holding summary.json) under `root`, newest first.
std::vector<RunRecord> find_runs(const std::string& root);

/// One run directory; throws UsageError when it holds no run.
RunRecord load_run(const std::string& dir);

using Params = std::map<std::string, std::string>;

/// What the run directory's config.yaml sets for `pipeline`, flattened as for
/// trackers (config::flat_params) with secrets redacted; nullopt when there
/// is no readable config.yaml (none yet, or another itwin version's).
std::optional<Params> run_params(const std::string& dir, const std::string& pipeline);

/// The keys whose values differ between parameter sets; a key missing from
/// some set differs.
std::set<std::string> differing_params(const std::vector<const Params*>& sets);

}  // namespace itwin::track
