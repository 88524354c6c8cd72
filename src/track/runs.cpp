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
  r.params = run_params(dir, r.pipeline.empty() ? "training" : r.pipeline).value_or(Params{});
  return r;
}

std::optional<Params> run_params(const std::string& dir, const std::string& pipeline) {
  const std::string cfg = dir + "/config.yaml";
  if (!fs::exists(cfg)) return std::nullopt;
  try {
    const config::Config c = config::load_config(cfg);
    const config::Pipeline* p = c.find(pipeline);
    if (!p) return std::nullopt;
    Params params = config::flat_params(c, *p);
    for (auto& [k, v] : params) v = redact(v);  // shown by `runs show`, `runs compare`, resume
    return params;
  } catch (const Error&) {
    return std::nullopt;  // a config from another itwin version
  }
}

std::set<std::string> differing_params(const std::vector<const Params*>& sets) {
  std::set<std::string> out;
  for (const Params* a : sets)
    for (const auto& [k, v] : *a)
      for (const Params* b : sets) {
        auto it = b->find(k);
        if (it == b->end() || it->second != v) out.insert(k);
      }
  return out;
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
