// The study loop: slots, segments, metrics, exits, the time budget, signals.
#include "itwin/hpo/controller.hpp"

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "itwin/hpo/check.hpp"
#include "itwin/hpo/report.hpp"
#include "itwin/util/error.hpp"
#include "itwin/util/strings.hpp"
#include "itwin/util/sysinfo.hpp"
#include "schedulers.hpp"

namespace fs = std::filesystem;

namespace itwin::hpo {
namespace {

double now_unix() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string number(int64_t id) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04lld", static_cast<long long>(id));
  return buf;
}

std::string params_text(const config::HpoSpec& spec, const Assignment& a) {
  auto names = short_names(spec.space);
  std::vector<std::string> parts;
  for (size_t i = 0; i < spec.space.size(); ++i) {
    if (a[i].active) parts.push_back(names[i] + "=" + display_text(spec.space[i], a[i]));
  }
  return join(parts, " ");
}

bool is_final(Status s) {
  return s == Status::kCompleted || s == Status::kFailed || s == Status::kStopped;
}

}  // namespace

Controller::Controller(config::HpoSpec spec, ControllerOptions o, TrialRunner& runner,
                       LiveTable& table)
    : spec_(std::move(spec)),
      o_(std::move(o)),
      runner_(runner),
      table_(table),
      study_(spec_),
      sampler_(make_sampler(spec_)) {
  if (!o_.stop_signal) o_.stop_signal = controller_signal;
  check_trials(spec_);
}

std::string Controller::trial_dir(int64_t id) const { return trial_run_dir(o_.study_dir, id); }

double Controller::elapsed() const {
  const auto& st = study_.state();
  return st.elapsed + (st.session_start > 0 ? now_unix() - st.session_start : 0);
}

int64_t Controller::trial_limit() const {
  return spec_.trials > 0 ? spec_.trials : sampler_->capacity();
}

nlohmann::json Controller::record(nlohmann::json event) {
  event = journal_->append(std::move(event));
  std::string note = study_.apply(event);
  if (!note.empty()) {  // a rung decision: journal it too
    study_.apply(journal_->append(
        {{"event", "decision"}, {"trial", event["trial"]}, {"action", "pause"}, {"text", note}}));
    table_.note("  " + note);
  }
  return event;
}

int Controller::run() {
  fs::create_directories(o_.study_dir + "/trials");
  const auto events = Journal::read(journal_path());
  for (const auto& ev : events) study_.apply(ev);
  journal_ = std::make_unique<Journal>(journal_path());
  if (study_.state().finished) {
    table_.note("study " + o_.study_dir + " is complete (" + study_.state().finish_reason + ")");
    return kExitOk;
  }
  if (events.empty()) {
    record({{"event", "study"},
            {"version", 1},
            {"config", o_.config},
            {"pipeline", spec_.pipeline},
            {"metric", spec_.metric},
            {"mode", config::name_of(spec_.mode)},
            {"sampler", config::name_of(spec_.sampler.kind)},
            {"scheduler", config::name_of(spec_.scheduler.kind)},
            {"trials", trial_limit()}});
  }
  record({{"event", "session"},
          {"pid", static_cast<int64_t>(::getpid())},
          {"host", host_name()},
          {"concurrency", o_.concurrency},
          {"ranks_per_trial", spec_.ranks_per_trial}});
  reconcile();
  for (;;) {
    if (int sig = o_.stop_signal()) return shut_down(sig);
    check_budget();
    fill_slots();
    if (running_.empty()) break;
    auto e = runner_.wait(o_.poll_s);
    poll_metrics();
    if (e) on_exit(*e);
    table_.draw(study_, elapsed());
  }
  finish(budget_over_ ? "the time budget of " + format_duration(spec_.time_budget) + " is used"
                      : "no trial left to run");
  return kExitOk;
}

bool Controller::fill_slots() {
  bool started = false;
  while (static_cast<int>(running_.size()) < o_.concurrency) {
    if (!queue_.empty()) {
      Queued q = queue_.front();
      queue_.erase(queue_.begin());
      start(q.trial, q.kind, study_.trial(q.trial).until);
      started = true;
      continue;
    }
    if (budget_over_) break;
    const bool may_new = study_.proposed() < trial_limit();
    Job j = study_.scheduler().next_job(may_new);
    if (j.kind == Job::Kind::kNone) break;
    if (j.kind == Job::Kind::kNew) {
      const int64_t id = study_.proposed();
      Assignment a = sampler_->sample(id, study_.observations());
      record({{"event", "trial"},
              {"trial", id},
              {"params", to_json(spec_.space, a)},
              {"bracket", j.bracket},
              {"until", j.until}});
      start(id, "new", j.until);
    } else {
      record(
          {{"event", "decision"}, {"trial", j.trial}, {"action", "promote"}, {"text", j.reason}});
      table_.note("  " + j.reason);
      start(j.trial, "continue", j.until);
    }
    started = true;
  }
  return started;
}

void Controller::start(int64_t id, const std::string& kind, int64_t until) {
  const std::string dir = trial_dir(id);
  if (kind == "restart") fs::remove_all(dir);  // no checkpoint: only a fresh start can run it
  const Trial& t = study_.trial(id);
  TrialLaunch l;
  l.trial = id;
  l.config = o_.config;
  l.pipeline = spec_.pipeline;
  l.run_dir = dir;
  l.sets = overrides(spec_.space, t.params);
  l.sets.push_back("run.name=" + yaml_quote(o_.run_name + "-trial-" + number(id)));
  l.sets.insert(l.sets.end(), o_.trial_sets.begin(), o_.trial_sets.end());
  l.resume = kind == "continue" || kind == "resume";
  l.until = until < o_.epochs ? until : 0;
  l.ranks = static_cast<int>(spec_.ranks_per_trial);
  l.threads = o_.threads;
  l.log = o_.study_dir + "/logs/trial-" + number(id) + ".log";
  record({{"event", "start"}, {"trial", id}, {"until", until}, {"kind", kind}});
  const int64_t handle = runner_.start(l);
  record({{"event", "running"}, {"trial", id}, {"pid", handle}, {"host", host_name()}});
  running_.emplace(handle, Running{id, MetricsTail(dir + "/metrics.jsonl")});
  const std::string to = " to epoch " + std::to_string(until);
  if (kind == "new")
    table_.note("trial " + std::to_string(id) + " starts" + to + ": " +
                params_text(spec_, t.params));
  if (kind == "continue")
    table_.note("trial " + std::to_string(id) + " continues from epoch " +
                std::to_string(t.epochs()) + to);
  if (kind == "resume")
    table_.note("trial " + std::to_string(id) + " resumes from its checkpoint" + to);
  if (kind == "restart")
    table_.note("trial " + std::to_string(id) + " starts again" + to + " (it had no checkpoint)");
}

void Controller::read_metrics(int64_t id, MetricsTail& tail) {
  for (auto& [epoch, values] : tail.poll()) {
    if (study_.trial(id).values.count(epoch)) continue;  // an epoch trained again after a resume
    auto it = values.find(spec_.metric);
    const double v = it == values.end() ? NAN : it->second;
    record({{"event", "result"},
            {"trial", id},
            {"epoch", epoch},
            {"value", std::isnan(v) ? nlohmann::json() : nlohmann::json(v)}});
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.6g", v);
    table_.detail("trial " + std::to_string(id) + " epoch " + std::to_string(epoch) + ": " +
                  spec_.metric + " " + buf);
  }
}

void Controller::poll_metrics() {
  for (auto& [handle, r] : running_) {
    read_metrics(r.trial, r.tail);
    const Trial& t = study_.trial(r.trial);
    if (t.stop_requested || t.status != Status::kRunning) continue;
    if (auto why = study_.scheduler().should_stop(r.trial)) {
      record({{"event", "decision"}, {"trial", r.trial}, {"action", "stop"}, {"text", *why}});
      table_.note("  stop trial " + std::to_string(r.trial) + ": " + *why);
      runner_.signal(handle, SIGTERM);  // it checkpoints and exits 75
    }
  }
}

void Controller::on_exit(const Exited& e) {
  auto it = running_.find(e.handle);
  if (it == running_.end()) return;
  const int64_t id = it->second.trial;
  read_metrics(id, it->second.tail);
  running_.erase(it);
  settle(id, e.status);
}

// Journals how a segment ended (exit -1: unknown, its controller was gone).
void Controller::settle(int64_t id, int exit) {
  const Trial& t = study_.trial(id);
  SegmentOutcome o = read_outcome(trial_dir(id));
  if (o.finished + 1 < t.started) o.status.clear(), o.error.clear();  // from an earlier segment
  Verdict v = classify(exit, o, t.epochs(), spec_.scheduler.max_t, t.stop_requested, t.stop_reason);
  record({{"event", "end"},
          {"trial", id},
          {"status", status_name(v.status)},
          {"exit", exit},
          {"epochs", t.epochs()},
          {"reason", v.reason}});
  const Trial& after = study_.trial(id);
  std::string line = "trial " + std::to_string(id) + " " + status_name(v.status) + " after epoch " +
                     std::to_string(after.epochs());
  double s = score_of(spec_, after);
  if (!std::isnan(s)) line += " (" + spec_.metric + " " + shown(spec_, s) + ")";
  table_.note(line + (v.reason.empty() ? "" : ": " + v.reason));
  // Interrupted from outside the study (not by its own stop): resume it, but
  // not forever if something keeps stopping it.
  if (v.status == Status::kInterrupted && !o_.stop_signal() && ++interrupts_[id] <= 3) {
    queue_.push_back({id, o.checkpoint ? "resume" : "restart"});
  }
  if (is_final(v.status)) {
    if (o_.on_final) o_.on_final(after, trial_dir(id));
    int64_t done = 0;
    for (const auto& x : study_.state().trials) done += is_final(x.status);
    auto ranked = study_.ranked();
    double best = ranked.empty() ? NAN : score_of(spec_, *ranked.front());
    if (o_.on_best && !std::isnan(best)) o_.on_best(done, metric_value(spec_, best));
  }
}

void Controller::check_budget() {
  if (budget_over_ || spec_.time_budget <= 0 || elapsed() < spec_.time_budget) return;
  budget_over_ = true;
  queue_.clear();
  table_.note("the time budget of " + format_duration(spec_.time_budget) +
              " is used: stopping the running trials");
  for (auto& [handle, r] : running_) {
    if (study_.trial(r.trial).stop_requested) continue;
    record({{"event", "decision"},
            {"trial", r.trial},
            {"action", "stop"},
            {"text", "the study's time budget is used"}});
    runner_.signal(handle, SIGTERM);
  }
}

int Controller::shut_down(int sig) {
  record({{"event", "signal"}, {"signal", sig}});
  table_.note(
      "signal " + std::to_string(sig) + ": stopping " + std::to_string(running_.size()) +
      " running trials (they checkpoint); run the same command again to continue the study");
  for (auto& [handle, r] : running_) runner_.signal(handle, SIGTERM);
  while (!running_.empty()) {
    auto e = runner_.wait(o_.poll_s);
    for (auto& [handle, r] : running_) read_metrics(r.trial, r.tail);
    if (e) on_exit(*e);
  }
  return sig == SIGINT ? kExitInterrupted : kExitPreempted;
}

void Controller::finish(const std::string& reason) {
  std::vector<int64_t> open;
  for (const auto& t : study_.state().trials)
    if (!is_final(t.status)) open.push_back(t.id);
  record({{"event", "finish"}, {"reason", reason}});
  for (int64_t id : open) {
    if (o_.on_final) o_.on_final(study_.trial(id), trial_dir(id));
  }
  table_.note("study " + o_.study_dir + " complete: " + reason);
}

}  // namespace itwin::hpo
