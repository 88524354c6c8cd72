// Finding and reading runs: run directories, scaling studies, trees.
#include "itwin/report/runs.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>

#include "itwin/track/loggers.hpp"
#include "itwin/util/error.hpp"
#include "itwin/util/fs.hpp"
#include "itwin/util/strings.hpp"
#include "sources.hpp"

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace itwin::report {
namespace {

double number(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<double>() : NAN;
}

// Directories inside a run that are never runs themselves.
bool never_a_run(const std::string& name) {
  return name == "checkpoints" || name == "ranks" || name == "artifacts" || name == "mlruns" ||
         (!name.empty() && name[0] == '.');
}

void walk(const fs::path& dir, int depth, Loaded& out);

void load_scaling(const fs::path& file, Loaded& out) {
  json study;
  try {
    study = json::parse(read_file(file.string()));
  } catch (const json::exception& e) {
    out.skipped.push_back(file.string() + ": not valid JSON (" + e.what() + ")");
    return;
  }
  if (study.value("kind", "") != "scaling" || !study.contains("jobs") ||
      !study["jobs"].is_array()) {
    out.skipped.push_back(file.string() + ": not a scaling study (no kind: scaling with jobs)");
    return;
  }
  for (const auto& job : study["jobs"]) {
    std::string dir = job.value("run_dir", "");
    std::string what = "job " + job.value("job_id", std::string("?")) + " (" +
                       std::to_string(job.value("nodes", 0)) + " nodes)";
    if (dir.empty()) {
      out.skipped.push_back(file.string() + ": " + what + " names no run_dir");
      continue;
    }
    fs::path p = fs::path(dir).is_absolute() ? fs::path(dir) : file.parent_path() / dir;
    if (!fs::is_directory(p)) {
      out.skipped.push_back(p.string() + ": " + what + ": no run directory (not run yet?)");
      continue;
    }
    size_t before = out.runs.size() + out.skipped.size();
    walk(p, 0, out);
    if (out.runs.size() + out.skipped.size() == before) {
      out.skipped.push_back(p.string() + ": " + what + ": holds no summary.json (still running?)");
    }
  }
}

void add_run_dir(const fs::path& dir, Loaded& out) {
  try {
    Run r = load_run_dir(dir.string());
    if (r.status != "FINISHED") {
      out.skipped.push_back(dir.string() + ": status " + (r.status.empty() ? "unknown" : r.status));
      return;
    }
    out.runs.push_back(std::move(r));
  } catch (const Error& e) {
    out.skipped.push_back(dir.string() + ": " + e.what());
  }
}

void walk(const fs::path& dir, int depth, Loaded& out) {
  std::error_code ec;
  if (fs::exists(dir / "summary.json", ec)) return add_run_dir(dir, out);
  if (is_mlflow_store(dir.string()) || is_mlflow_experiment(dir.string()) ||
      is_mlflow_run(dir.string())) {
    return load_mlflow(dir.string(), out);
  }
  if (fs::exists(dir / "scaling.json", ec)) load_scaling(dir / "scaling.json", out);
  if (depth >= 8) return;
  std::vector<fs::path> subdirs;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (e.is_directory(ec) && !never_a_run(e.path().filename().string()))
      subdirs.push_back(e.path());
  }
  std::sort(subdirs.begin(), subdirs.end());
  for (const auto& s : subdirs) walk(s, depth + 1, out);
}

// The same run reached twice (a scaling study and its tree, a run directory
// and the MLflow copy of its summary) counts once.
std::string identity(const Run& r) {
  std::error_code ec;
  std::string d = r.run_dir.empty() ? r.id : r.run_dir;
  fs::path c = fs::weakly_canonical(d, ec);
  return ec ? d : c.string();
}

}  // namespace

void apply_summary(const json& j, Run& r) {
  r.status = j.value("status", r.status);
  if (j.contains("backend") && j["backend"].is_string()) r.backend = j["backend"];
  if (j.contains("strategy") && j["strategy"].is_string()) r.strategy = j["strategy"];
  r.world_size = j.value("world_size", r.world_size);
  if (j.contains("nodes") && j["nodes"].is_number_integer()) {
    r.nodes = j["nodes"];
  } else if (j.contains("hosts") && j["hosts"].is_array()) {
    std::set<std::string> hosts;
    for (const auto& h : j["hosts"])
      if (h.is_string()) hosts.insert(h.get<std::string>());
    r.nodes = std::max<int64_t>(1, static_cast<int64_t>(hosts.size()));
  }
  r.train_seconds = number(j, "train_seconds");
  r.samples_per_s = number(j, "samples_per_s");
  r.run_dir = j.value("run_dir", r.run_dir);
  if (j.contains("epochs") && j["epochs"].is_number_integer()) r.epochs_done = j["epochs"];
  if (j.contains("profile") && j["profile"].is_object()) {
    const json& p = j["profile"];
    r.profile_steps = p.value("steps", int64_t{0});
    if (p.contains("ms_per_step") && p["ms_per_step"].is_object()) {
      for (const auto& [k, v] : p["ms_per_step"].items())
        if (v.is_number()) r.profile_ms[k] = v.get<double>();
    }
  }
  if (j.contains("monitor") && j["monitor"].is_object()) r.monitor = j["monitor"];
}

std::vector<Epoch> read_metrics_jsonl(const std::string& path, int64_t* malformed) {
  std::map<int64_t, Epoch> by_epoch;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (trim(line).empty()) continue;
    json j = json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
      ++*malformed;  // e.g. the last line of a run killed mid-write
      continue;
    }
    if (j.value("per_step", false) || !j.contains("epoch") || !j.contains("epoch_time_s")) continue;
    Epoch e;
    e.epoch = j.value("epoch", int64_t{0});
    e.step = j.value("step", int64_t{-1});
    e.time_s = number(j, "epoch_time_s");
    e.samples_per_s = number(j, "samples_per_s");
    for (const auto& [k, v] : j.items()) {
      if (starts_with(k, "time_") && ends_with(k, "_ms") && v.is_number()) {
        e.ms[k.substr(5, k.size() - 8)] = v.get<double>();
      }
    }
    by_epoch[e.epoch] = e;  // a resumed run may log an epoch again: the last record wins
  }
  std::vector<Epoch> out;
  for (auto& [n, e] : by_epoch) out.push_back(e);
  return out;
}

Run load_run_dir(const std::string& dir) {
  Run r;
  r.id = dir;
  try {
    apply_summary(json::parse(read_file(dir + "/summary.json")), r);
  } catch (const json::exception& e) {
    throw RuntimeError("summary.json is not valid JSON (" + std::string(e.what()) + ")");
  }
  if (r.run_dir.empty()) r.run_dir = dir;
  int64_t malformed = 0;
  if (fs::exists(dir + "/metrics.jsonl")) {
    r.epochs = read_metrics_jsonl(dir + "/metrics.jsonl", &malformed);
    if (malformed > 0) {
      r.notes.push_back(dir + "/metrics.jsonl: " + std::to_string(malformed) +
                        " malformed lines skipped");
    }
  }
  if (r.epochs.empty()) {  // no JSON-lines logger: the epochs its MLflow file-store logger kept
    auto summary = json::parse(read_file(dir + "/summary.json"), nullptr, false);
    for (const auto& j : summary.value("tracked_runs", json::array())) {
      track::TrackedRun t = track::tracked_run_from_json(j);
      if (t.kind != "mlflow" || t.store.empty() || starts_with(t.store, "http")) continue;
      std::string path = t.store + "/" + t.experiment + "/" + t.id;
      if (fs::is_directory(path + "/metrics")) r.epochs = read_mlflow_epochs(path);
      if (!r.epochs.empty()) break;
    }
  }
  return r;
}

Loaded load_runs(const std::vector<std::string>& paths) {
  Loaded all;
  for (const auto& p : paths) {
    std::error_code ec;
    if (!fs::exists(p, ec)) throw UsageError("'" + p + "': no such file or directory");
    if (fs::is_regular_file(p, ec)) {
      if (fs::path(p).filename() == "scaling.json") {
        load_scaling(p, all);
      } else if (fs::path(p).filename() == "summary.json") {
        add_run_dir(fs::path(p).parent_path().empty() ? "." : fs::path(p).parent_path(), all);
      } else {
        throw UsageError("'" + p +
                         "': expected a run directory, a study, an MLflow store or scaling.json");
      }
      continue;
    }
    walk(p, 0, all);
  }
  Loaded out;
  out.skipped = all.skipped;
  std::set<std::string> seen;
  for (auto& r : all.runs) {
    if (seen.insert(identity(r)).second) out.runs.push_back(std::move(r));
  }
  return out;
}

}  // namespace itwin::report
