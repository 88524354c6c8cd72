// Runs of an MLflow file store (the layout src/track/mlflow_file.cpp writes):
// STORE/<experiment_id>/meta.yaml, STORE/<experiment_id>/<run_id>/{meta.yaml,
// params/, tags/, metrics/, artifacts/}; a metric file holds lines
// "<timestamp_ms> <value> <step>".
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>

#include "itwin/util/fs.hpp"
#include "itwin/util/strings.hpp"
#include "sources.hpp"

namespace fs = std::filesystem;

namespace itwin::report {
namespace {

std::string meta_text(const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_regular_file(dir / "meta.yaml", ec)) return "";
  std::ifstream in(dir / "meta.yaml");
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// A top-level "key: value" of meta.yaml, unquoted.
std::string meta_value(const std::string& meta, const std::string& key) {
  std::istringstream in(meta);
  std::string line;
  while (std::getline(in, line)) {
    if (!starts_with(line, key + ":")) continue;
    std::string v = trim(line.substr(key.size() + 1));
    if (v.size() >= 2 && (v.front() == '\'' || v.front() == '"')) v = v.substr(1, v.size() - 2);
    return v;
  }
  return "";
}

std::string file_text(const fs::path& p) {
  std::ifstream in(p);
  std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return trim(s);
}

struct Point {
  double value;
  int64_t step;
};

std::vector<Point> metric(const fs::path& run, const std::string& key) {
  std::vector<Point> out;
  std::ifstream in(run / "metrics" / key);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream l(line);
    long long ts = 0, step = 0;
    std::string value;
    if (!(l >> ts >> value >> step)) continue;
    char* end = nullptr;
    double v = std::strtod(value.c_str(), &end);  // "nan" and "inf" are valid metric values
    if (*end == '\0') out.push_back({v, step});
  }
  return out;
}

// The run's status code in meta.yaml (MLflow's RunStatus).
std::string status_name(const std::string& code) {
  if (code == "3") return "FINISHED";
  if (code == "4") return "FAILED";
  if (code == "5") return "KILLED";
  if (code == "1") return "RUNNING";
  return code.empty() ? "unknown" : code;
}

void load_run(const fs::path& dir, Loaded& out) {
  std::string meta = meta_text(dir);
  std::string rank = file_text(dir / "tags" / "itwin.rank");
  if (!rank.empty() && rank != "0") return;  // ranks > 0 nest under rank 0's run
  Run r;
  r.id = "mlflow:" + dir.string();
  r.status = status_name(meta_value(meta, "status"));
  std::error_code ec;
  if (fs::exists(dir / "artifacts" / "summary.json", ec)) {  // the run directory's summary, copied
    auto j = nlohmann::json::parse(read_file((dir / "artifacts" / "summary.json").string()),
                                   nullptr, false);
    if (j.is_object()) apply_summary(j, r);
  }
  // Params and tags where the summary is missing.
  std::string ws = file_text(dir / "tags" / "itwin.world_size");
  if (!ws.empty() && std::all_of(ws.begin(), ws.end(), ::isdigit)) r.world_size = std::stoll(ws);
  if (r.backend == "?") {
    std::string b = file_text(dir / "params" / "distributed.backend");
    if (!b.empty()) r.backend = b;
  }
  if (r.strategy == "?") {
    std::string s = file_text(dir / "params" / "distributed.strategy");
    if (!s.empty()) r.strategy = s;
  }
  r.epochs = read_mlflow_epochs(dir.string());
  if (r.epochs.empty() && std::isnan(r.train_seconds)) {  // a study's parent run, say
    out.skipped.push_back(r.id +
                          ": no epoch_time_s metric and no summary.json (not a training run)");
    return;
  }
  if (r.status != "FINISHED") {
    out.skipped.push_back(r.id + ": status " + r.status);
    return;
  }
  out.runs.push_back(std::move(r));
}

void load_experiment(const fs::path& dir, Loaded& out) {
  std::vector<fs::path> runs;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (e.is_directory(ec) && !meta_value(meta_text(e.path()), "run_id").empty())
      runs.push_back(e.path());
  }
  std::sort(runs.begin(), runs.end());
  for (const auto& r : runs) load_run(r, out);
}

}  // namespace

bool is_mlflow_experiment(const std::string& dir) {
  std::string meta = meta_text(dir);
  return !meta_value(meta, "experiment_id").empty() && meta_value(meta, "run_id").empty();
}

bool is_mlflow_store(const std::string& dir) {
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    std::string n = e.path().filename().string();
    if (e.is_directory(ec) && std::regex_match(n, std::regex("[0-9]+")) &&
        is_mlflow_experiment(e.path().string())) {
      return true;
    }
  }
  return false;
}

bool is_mlflow_run(const std::string& dir) { return !meta_value(meta_text(dir), "run_id").empty(); }

void load_mlflow(const std::string& dir, Loaded& out) {
  if (is_mlflow_run(dir)) return load_run(dir, out);
  if (is_mlflow_experiment(dir)) return load_experiment(dir, out);
  std::vector<fs::path> exps;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (e.is_directory(ec) && is_mlflow_experiment(e.path().string())) exps.push_back(e.path());
  }
  std::sort(exps.begin(), exps.end());
  for (const auto& e : exps) load_experiment(e, out);
}

std::vector<Epoch> read_mlflow_epochs(const std::string& run_path) {
  fs::path run(run_path);
  // An epoch is the optimizer step its epoch_time_s was logged at; a step
  // logged twice (an epoch re-run after a resume) keeps its last record.
  std::map<int64_t, Epoch> by_step;
  for (const auto& p : metric(run, "epoch_time_s")) {
    Epoch& e = by_step[p.step];
    e.step = p.step;
    e.time_s = p.value;
  }
  auto attach = [&](const std::string& key, auto set) {
    for (const auto& p : metric(run, key)) {
      auto it = by_step.find(p.step);
      if (it != by_step.end())
        set(it->second, p.value);  // later lines win: the epoch record follows step records
    }
  };
  attach("samples_per_s", [](Epoch& e, double v) { e.samples_per_s = v; });
  std::error_code ec;
  for (const auto& f : fs::directory_iterator(run / "metrics", ec)) {
    std::string k = f.path().filename().string();
    if (starts_with(k, "time_") && ends_with(k, "_ms")) {
      std::string part = k.substr(5, k.size() - 8);
      attach(k, [part](Epoch& e, double v) { e.ms[part] = v; });
    }
  }
  std::vector<Epoch> out;
  int64_t n = 0;
  for (auto& [step, e] : by_step) {
    e.epoch = ++n;
    out.push_back(e);
  }
  return out;
}

}  // namespace itwin::report
