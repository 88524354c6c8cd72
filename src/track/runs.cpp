#include "itwin/track/runs.hpp"

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "itwin/config/pipeline.hpp"
#include "itwin/track/loggers.hpp"
#include "itwin/util/error.hpp"
#include "itwin/util/fs.hpp"
#include "itwin/util/redact.hpp"

namespace fs = std::filesystem;

namespace itwin::track {

RunRecord load_run(const std::string& dir) {
  if (!fs::exists(fs::path(dir) / "summary.json")) {
    throw UsageError("'" + dir + "' is not a run directory (no summary.json)");
  }
  RunRecord r;
  r.dir = dir;
  try {
    auto j = nlohmann::json::parse(read_file(dir + "/summary.json"));
    r.status = j.value("status", "");
    r.pipeline = j.value("pipeline", "");
    r.config = j.value("config", "");
    r.started = j.value("started", 0.0);
    r.wall_seconds = j.value("wall_seconds", 0.0);
    for (const auto& t : j.value("tracked_runs", nlohmann::json::array())) {
      TrackedRun tr = tracked_run_from_json(t);
      r.tracked.push_back(tr.kind + " " + tr.id + " (experiment " + tr.experiment + ", " +
                          redact(tr.store) + ")");
    }
    if (j.contains("metrics")) {
      for (auto& [k, v] : j["metrics"].items())
        if (v.is_number()) r.metrics[k] = v.get<double>();
    }
  } catch (const nlohmann::json::exception& e) {
    throw RuntimeError(dir + "/summary.json: not valid JSON: " + e.what());
  }
  // The parameters: the run's resolved config, flattened as for trackers.
  std::string cfg = dir + "/config.yaml";
  if (fs::exists(cfg)) {
    try {
      auto c = config::load_config(cfg);
      if (const auto* p = c.find(r.pipeline.empty() ? "training" : r.pipeline))
        r.params = config::flat_params(c, *p);
      for (auto& [k, v] : r.params) v = redact(v);  // shown by `runs show` and `runs compare`
    } catch (const Error&) {
      // a config from another itwin version: list the run without parameters
    }
  }
  return r;
}

std::vector<RunRecord> find_runs(const std::string& root) {
  std::vector<RunRecord> out;
  if (!fs::is_directory(root)) throw UsageError("no run directory tree at '" + root + "'");
  for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator();
       ++it) {
    if (it.depth() > 3) {
      it.disable_recursion_pending();
      continue;
    }
    if (it->is_symlink()) {  // <name>.latest: the run it points at is listed itself
      it.disable_recursion_pending();
      continue;
    }
    if (it->is_directory() && fs::exists(it->path() / "summary.json")) {
      out.push_back(load_run(it->path().string()));
      it.disable_recursion_pending();  // checkpoints/ and ranks/ are not runs
    }
  }
  std::sort(out.begin(), out.end(),
            [](const RunRecord& a, const RunRecord& b) { return a.started > b.started; });
  return out;
}

}  // namespace itwin::track
