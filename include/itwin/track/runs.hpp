#pragma once
/// Run directories read back: `itwin runs list|show|compare`.

#include <map>
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

}  // namespace itwin::track
