#include "itwin/hpo/report.hpp"

#include <cmath>
#include <filesystem>

#include "itwin/config/hpo_spec.hpp"
#include "itwin/hpo/journal.hpp"
#include "itwin/hpo/table.hpp"
#include "itwin/util/error.hpp"
#include "itwin/util/fs.hpp"
#include "itwin/util/strings.hpp"

namespace fs = std::filesystem;

namespace itwin::hpo {
namespace {

nlohmann::json number_or_null(double v) {
  return std::isnan(v) ? nlohmann::json() : nlohmann::json(v);
}

nlohmann::json params_json(const Space& space, const Assignment& a) {
  nlohmann::json j = nlohmann::json::object();
  for (size_t i = 0; i < space.size(); ++i) {
    if (!a[i].active) continue;
    if (is_numeric(space[i])) {
      j[space[i].key] = a[i].number;
    } else {
      j[space[i].key] = value_text(space[i], a[i]);
    }
  }
  return j;
}

const Trial* best_trial(const Study& study) {
  auto ranked = study.ranked();
  if (ranked.empty() || std::isnan(score_of(study.spec(), *ranked.front()))) return nullptr;
  return ranked.front();
}

}  // namespace

std::string snapshot_path(const std::string& dir) { return dir + "/config.yaml"; }
std::string journal_path(const std::string& dir) { return dir + "/journal.jsonl"; }
std::string trial_run_dir(const std::string& dir, int64_t trial) {
  char b[24];
  std::snprintf(b, sizeof b, "/trials/%04lld", static_cast<long long>(trial));
  return dir + b;
}

int64_t trainer_epochs(const config::Config& cfg) {
  const auto* p = cfg.find(cfg.hpo.pipeline);
  if (p) {
    for (const auto& s : p->steps) {
      if (const auto* t = std::get_if<config::TrainerSpec>(&s.spec)) return t->epochs;
      if (const auto* g = std::get_if<config::GanTrainerSpec>(&s.spec)) return g->epochs;
    }
  }
  return cfg.hpo.scheduler.max_t;
}

Study load_study(const std::string& dir, config::Config* out) {
  if (!fs::exists(journal_path(dir)) || !fs::exists(snapshot_path(dir))) {
    throw UsageError("'" + dir + "' holds no study (no journal.jsonl and config.yaml)");
  }
  config::Config cfg = config::load_config(snapshot_path(dir));
  if (!cfg.hpo.present) throw UsageError(snapshot_path(dir) + " has no hpo: section");
  Study study(cfg.hpo);
  for (const auto& ev : Journal::read(journal_path(dir))) study.apply(ev);
  if (out) *out = std::move(cfg);
  return study;
}

nlohmann::json study_json(const Study& study, const std::string& dir) {
  const auto& spec = study.spec();
  nlohmann::json j = {
      {"study", dir},
      {"metric", spec.metric},
      {"mode", config::name_of(spec.mode)},
      {"score", config::name_of(spec.score)},
      {"sampler", config::name_of(spec.sampler.kind)},
      {"scheduler", config::name_of(spec.scheduler.kind)},
      {"finished", study.state().finished},
      {"finish_reason", study.state().finish_reason},
      {"elapsed_s", study.state().elapsed + study.state().last_time - study.state().session_start},
      {"trials", nlohmann::json::array()}};
  for (const Trial* t : study.ranked()) {
    nlohmann::json values = nlohmann::json::object();
    for (const auto& [e, v] : t->values) values[std::to_string(e)] = number_or_null(v);
    j["trials"].push_back({{"trial", t->id},
                           {"status", status_name(t->status)},
                           {"epochs", t->epochs()},
                           {"value", number_or_null(metric_value(spec, score_of(spec, *t)))},
                           {"params", params_json(spec.space, t->params)},
                           {"rung", study.scheduler().rung_of(t->id)},
                           {"reason", t->reason},
                           {"exit", t->exit_code},
                           {"segments", t->segments},
                           {"run_dir", trial_run_dir(dir, t->id)},
                           {"metric_per_epoch", values}});
  }
  if (const Trial* b = best_trial(study)) {
    j["best"] = {{"trial", b->id},
                 {"value", metric_value(spec, score_of(spec, *b))},
                 {"params", params_json(spec.space, b->params)},
                 {"overrides", overrides(spec.space, b->params)},
                 {"best_yaml", dir + "/best.yaml"}};
  }
  return j;
}

std::string write_best_yaml(const Study& study, const std::string& dir) {
  const Trial* b = best_trial(study);
  if (!b) return "";
  const auto& spec = study.spec();
  const std::string path = dir + "/best.yaml";
  std::string text = config::apply_to_snapshot(read_file(snapshot_path(dir)), snapshot_path(dir),
                                               overrides(spec.space, b->params), {"hpo"});
  char value[32];
  std::snprintf(value, sizeof value, "%.6g", metric_value(spec, score_of(spec, *b)));
  std::string head = "# itwin hpo: the best trial (" + std::to_string(b->id) + ") of study " + dir +
                     ": " + spec.metric + " " + value + " after " + std::to_string(b->epochs()) +
                     " epochs, with\n";
  for (const auto& o : overrides(spec.space, b->params)) head += "#   " + o + "\n";
  head += "# Train it: itwin train " + path +
          (spec.pipeline == "training" ? "" : " --pipeline " + spec.pipeline) + "\n";
  write_file_atomic(path, head + text);
  return path;
}

std::string report_text(const Study& study, const std::string& dir) {
  const auto& spec = study.spec();
  std::string out = "study " + dir + ": " +
                    study_line(study, study_json(study, dir)["elapsed_s"].get<double>()) + "\n";
  out += trials_table(study, true);
  const Trial* b = best_trial(study);
  if (!b) return out + "no trial reported " + spec.metric + " yet\n";
  char value[32];
  std::snprintf(value, sizeof value, "%.6g", metric_value(spec, score_of(spec, *b)));
  out += "best: trial " + std::to_string(b->id) + ", " + spec.metric + " " + value + " (" +
         config::name_of(spec.score) + ", " + config::name_of(spec.mode) + ") after " +
         std::to_string(b->epochs()) + " epochs: " + join(overrides(spec.space, b->params), " ") +
         "\n";
  out += "best.yaml: " + write_best_yaml(study, dir) + "\n";
  try {
    auto plots = write_plots(study, dir);
    if (!plots.empty()) out += "plots: " + join(plots, ", ") + "\n";
  } catch (const std::exception& e) {
    out += std::string("no plot: ") + e.what() + "\n";
  }
  return out;
}

}  // namespace itwin::hpo
