#pragma once
// Fixtures for the study engine: specs from inline YAML, and a TrialRunner
// that plays trials from scripted metric curves without processes (the
// seam the controller talks through; the real processes are in cli_test).

#include <signal.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cmath>
#include <deque>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "itwin/config/pipeline.hpp"
#include "itwin/hpo/launcher.hpp"
#include "itwin/util/error.hpp"

namespace itwin::test {

/// A pipeline file (synthetic data, an mlp, `epochs` epochs) with `hpo_body`
/// as its hpo: section (indented by the caller, two spaces).
inline std::string study_yaml(const std::string& hpo_body, int epochs = 9) {
  return "vars:\n  hidden: [8]\n"
         "pipelines:\n  training:\n    steps:\n"
         "      - {name: data, type: dataset, format: synthetic}\n"
         "      - {name: model, type: model, arch: mlp, hidden: \"${hidden}\"}\n"
         "      - name: train\n        type: trainer\n        epochs: " +
         std::to_string(epochs) +
         "\n        optimizer: {name: sgd, lr: 0.1}\n"
         "hpo:\n" +
         hpo_body;
}

inline config::HpoSpec spec_of(const std::string& hpo_body, int epochs = 9) {
  return config::load_config_text(study_yaml(hpo_body, epochs), "study.yaml").hpo;
}

/// The ConfigError message of loading the study ("" when it loads).
inline std::string hpo_error(const std::string& hpo_body) {
  try {
    config::load_config_text(study_yaml(hpo_body), "study.yaml");
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

/// Plays each segment at once, as `itwin train` would leave its run
/// directory: metrics.jsonl lines, checkpoints/, summary.json; the exit
/// waits for wait(). `curve(launch, epoch)` gives the metric (NaN: the
/// trial diverges, exit 3); `stop_at(launch)` > 0 makes the segment stop
/// there as if SIGTERM'd (checkpoint, KILLED, exit 75); `hold` keeps every
/// segment running after its first epoch until it gets a signal.
class FakeRunner : public hpo::TrialRunner {
 public:
  std::function<double(const hpo::TrialLaunch&, int64_t)> curve;
  std::function<int64_t(const hpo::TrialLaunch&)> stop_at;
  int64_t epochs = 9;
  bool hold = false;
  int64_t die_after_starts = -1;  ///< throw Died from start() (the controller "dies")
  std::vector<hpo::TrialLaunch> launches;
  std::vector<std::pair<int64_t, int>> signals;
  struct Died {};

  int64_t start(const hpo::TrialLaunch& l) override {
    if (die_after_starts >= 0 && static_cast<int64_t>(launches.size()) >= die_after_starts)
      throw Died{};
    launches.push_back(l);
    const int64_t h = next_++;
    namespace fs = std::filesystem;
    if (!l.resume && fs::exists(l.run_dir) && !fs::is_empty(l.run_dir)) {
      FAIL("a fresh segment of trial " << l.trial << " in a run directory that holds a run");
    }
    if (l.resume && !fs::exists(l.run_dir + "/checkpoints")) FAIL("--resume without a checkpoint");
    fs::create_directories(l.run_dir);
    int64_t from = l.resume ? last_epoch(l.run_dir) : 0;
    const int64_t until = l.until > 0 ? l.until : epochs;
    const int64_t stop = stop_at ? stop_at(l) : 0;
    int code = 0;
    std::string status = until < epochs ? "PAUSED" : "FINISHED";
    for (int64_t e = from + 1; e <= until; ++e) {
      double v = curve(l, e);
      append(l.run_dir, e, v);
      if (std::isnan(v)) {
        code = 3;
        status = "FAILED";
        break;
      }
      fs::create_directories(l.run_dir + "/checkpoints/epoch-" + std::to_string(e));
      if (hold || (stop > 0 && e == stop)) {
        code = 75;
        status = "KILLED";
        break;
      }
    }
    if (hold) {
      held_[h] = l.run_dir;
      return h;
    }
    summary(l.run_dir, status);
    exits_.push_back({h, code});
    return h;
  }

  std::optional<hpo::Exited> wait(double) override {
    if (exits_.empty()) return std::nullopt;
    auto e = exits_.front();
    exits_.pop_front();
    return e;
  }

  void signal(int64_t handle, int sig) override {
    signals.emplace_back(handle, sig);
    auto it = held_.find(handle);
    if (it == held_.end()) return;
    summary(it->second, "KILLED");
    exits_.push_back({handle, 75});
    held_.erase(it);
  }

  static double param(const hpo::TrialLaunch& l, const std::string& key) {
    for (const auto& s : l.sets)
      if (s.rfind(key + "=", 0) == 0) return std::stod(s.substr(key.size() + 1));
    return NAN;
  }

 private:
  static int64_t last_epoch(const std::string& dir) {
    std::ifstream in(dir + "/metrics.jsonl");
    std::string line;
    int64_t last = 0;
    while (std::getline(in, line))
      last = std::max<int64_t>(last, nlohmann::json::parse(line)["epoch"].get<int64_t>());
    return last;
  }
  static void append(const std::string& dir, int64_t epoch, double v) {
    std::ofstream out(dir + "/metrics.jsonl", std::ios::app);
    nlohmann::json j = {{"epoch", epoch}, {"step", epoch * 10}, {"time", 0}, {"train_loss", 1.0}};
    j["val_loss"] = std::isnan(v) ? nlohmann::json() : nlohmann::json(v);
    out << j.dump() << "\n";
  }
  static void summary(const std::string& dir, const std::string& status) {
    double now =
        std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
    std::ofstream(dir + "/summary.json")
        << nlohmann::json({{"status", status}, {"finished", now + 1}}).dump();
  }

  int64_t next_ = 1000;
  std::deque<hpo::Exited> exits_;
  std::map<int64_t, std::string> held_;
};

}  // namespace itwin::test
