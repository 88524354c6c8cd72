#include "itwin/hpo/tracking.hpp"

#include <chrono>
#include <cstdlib>
#include <filesystem>

#include "itwin/track/run_status.hpp"
#include "itwin/util/error.hpp"
#include "itwin/util/log.hpp"
#include "itwin/util/strings.hpp"

namespace fs = std::filesystem;

namespace itwin::hpo {

StudyTracking::StudyTracking(const config::Config& cfg, const std::string& study_dir) {
  const std::string store = fs::absolute(study_dir + "/mlruns").lexically_normal().string();
  std::vector<config::LoggerSpec> specs;
  for (size_t i = 0; i < cfg.loggers.size(); ++i) {
    config::LoggerSpec s = cfg.loggers[i];
    if (s.type != config::LoggerKind::Mlflow) {
      s.ranks = {1};  // not rank 0's: make_sinks skips it, the loggers' indices stay aligned
      specs.push_back(s);
      continue;
    }
    if (s.experiment.empty()) s.experiment = cfg.run.name;
    const std::string pre = "loggers." + std::to_string(i) + ".";
    sets_.push_back(pre + "experiment=" + yaml_quote(s.experiment));
    if (s.dir.empty() && s.tracking_uri.empty() && !std::getenv("MLFLOW_TRACKING_URI")) {
      s.dir = store;  // the default store: one per study, shared by its trials
      sets_.push_back(pre + "dir=" + yaml_quote(store));
    }
    s.ranks = {0};
    specs.push_back(s);
  }
  if (sets_.empty()) return;
  track::RunInfo info;
  info.run_dir = study_dir;
  info.job_dir = study_dir;
  info.run_name = cfg.run.name + "-hpo";
  info.pipeline = cfg.hpo.pipeline;
  info.config_source = cfg.source;
  info.params = {{"hpo.metric", cfg.hpo.metric},
                 {"hpo.mode", config::name_of(cfg.hpo.mode)},
                 {"hpo.sampler", config::name_of(cfg.hpo.sampler.kind)},
                 {"hpo.scheduler", config::name_of(cfg.hpo.scheduler.kind)},
                 {"hpo.trials", std::to_string(cfg.hpo.trials)},
                 {"hpo.seed", std::to_string(cfg.hpo.seed)}};
  for (const auto& p : cfg.hpo.space) info.params["hpo.space." + p.key] = config::name_of(p.type);
  info.tags = {{"itwin.hpo", "study"}};
  info.continue_runs = track::load_tracked_runs(study_dir);  // a resumed study continues its runs
  sink_ = track::make_sinks(specs, info);
  track::save_tracked_runs(study_dir, sink_->tracked_runs());
  const auto& runs = sink_->tracked_runs();
  for (size_t i = 0; i < runs.size(); ++i) {
    if (runs[i].kind == "mlflow") {
      sets_.push_back("loggers." + std::to_string(i) + ".parent_run_id=" + yaml_quote(runs[i].id));
    }
  }
}

StudyTracking::~StudyTracking() {
  if (sink_ && !closed_) sink_->close("KILLED");
}

void StudyTracking::log_best(int64_t done, const std::string& metric, double value) {
  if (!sink_) return;
  double now =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  sink_->log({done, done, now, false, {{"best_" + metric, value}}});
}

void StudyTracking::close(const std::string& status) {
  if (sink_ && !closed_) sink_->close(status);
  closed_ = true;
}

void mark_trial_runs(const std::string& trial_dir, const std::string& status) {
  try {
    for (const auto& r : track::load_tracked_runs(trial_dir)) track::set_run_status(r, status);
  } catch (const std::exception& e) {
    spdlog::warn("cannot set the MLflow status of {}'s runs to {}: {}", trial_dir, status,
                 e.what());
  }
}

}  // namespace itwin::hpo
