#include "itwin/hpo/study.hpp"

#include <algorithm>
#include <cmath>

#include "itwin/util/error.hpp"

namespace itwin::hpo {
namespace {

const char* const kStatusNames[] = {"PENDING", "RUNNING", "PAUSED",     "COMPLETED",
                                    "STOPPED", "FAILED",  "INTERRUPTED"};

}  // namespace

const char* status_name(Status s) { return kStatusNames[static_cast<int>(s)]; }

Status status_from_name(const std::string& s) {
  for (int i = 0; i < 7; ++i)
    if (s == kStatusNames[i]) return static_cast<Status>(i);
  throw RuntimeError("unknown trial status '" + s + "' in the journal");
}

double score_at(const config::HpoSpec& spec, const std::map<int64_t, double>& values,
                int64_t epoch) {
  const double sign = spec.mode == config::Mode::Max ? -1 : 1;
  auto end = values.upper_bound(epoch);
  if (end == values.begin()) return NAN;
  switch (spec.score) {
    case config::ScoreKind::Last:
      return sign * std::prev(end)->second;
    case config::ScoreKind::Best: {
      double best = INFINITY;
      for (auto it = values.begin(); it != end; ++it) {
        double v = sign * it->second;
        if (std::isnan(v)) return NAN;  // a diverged epoch poisons the trial
        best = std::min(best, v);
      }
      return best;
    }
    case config::ScoreKind::Mean: {
      double sum = 0;
      int64_t n = 0;
      for (auto it = end; it != values.begin() && n < spec.score_window;) {
        --it;
        sum += sign * it->second;
        ++n;
      }
      return sum / static_cast<double>(n);
    }
  }
  return NAN;
}

double score_of(const config::HpoSpec& spec, const Trial& t) {
  return score_at(spec, t.values, t.epochs());
}

double metric_value(const config::HpoSpec& spec, double score) {
  return spec.mode == config::Mode::Max ? -score : score;
}

Study::Study(config::HpoSpec spec) : spec_(std::move(spec)), scheduler_(make_scheduler(spec_)) {}

const Trial& Study::trial(int64_t id) const {
  if (id < 0 || id >= static_cast<int64_t>(state_.trials.size())) {
    throw RuntimeError("the journal names trial " + std::to_string(id) +
                       ", which was never proposed");
  }
  return state_.trials[static_cast<size_t>(id)];
}

Trial& Study::mutable_trial(int64_t id) { return const_cast<Trial&>(trial(id)); }

std::string Study::apply(const nlohmann::json& ev) {
  const std::string kind = ev.at("event").get<std::string>();
  const double time = ev.value("time", 0.0);
  if (kind == "session") {
    if (state_.last_time > state_.session_start)
      state_.elapsed += state_.last_time - state_.session_start;
    state_.session_start = state_.last_time = time;
    return "";
  }
  if (time > state_.last_time && state_.session_start > 0) state_.last_time = time;
  if (kind == "trial") {
    Trial t;
    t.id = ev.at("trial").get<int64_t>();
    if (t.id != proposed())
      throw RuntimeError("the journal proposes trial " + std::to_string(t.id) + " out of order");
    t.params = from_json(spec_.space, ev.at("params"));
    t.bracket = ev.value("bracket", 0);
    t.until = ev.value("until", int64_t{0});
    state_.trials.push_back(std::move(t));
  } else if (kind == "start") {
    Trial& t = mutable_trial(ev.at("trial").get<int64_t>());
    const std::string how = ev.value("kind", "new");
    t.status = Status::kRunning;
    t.until = ev.at("until").get<int64_t>();
    t.pid = 0;
    t.host.clear();
    t.started = time;
    ++t.segments;
    if (how == "new") scheduler_->on_new(t.id, t.bracket, t.until);
    if (how == "continue") scheduler_->on_continue(t.id, t.until);
  } else if (kind == "running") {
    Trial& t = mutable_trial(ev.at("trial").get<int64_t>());
    t.pid = ev.value("pid", int64_t{0});
    t.host = ev.value("host", "");
  } else if (kind == "result") {
    Trial& t = mutable_trial(ev.at("trial").get<int64_t>());
    const int64_t epoch = ev.at("epoch").get<int64_t>();
    const auto& v = ev.at("value");
    if (t.values.count(epoch)) return "";  // an epoch trained again after a resume
    t.values[epoch] = v.is_number() ? v.get<double>() : NAN;
    scheduler_->on_result(t.id, epoch, score_at(spec_, t.values, epoch));
  } else if (kind == "decision") {
    if (ev.value("action", "") == "stop") {
      Trial& t = mutable_trial(ev.at("trial").get<int64_t>());
      t.stop_requested = true;
      t.stop_reason = ev.value("text", "");
    }
  } else if (kind == "end") {
    Trial& t = mutable_trial(ev.at("trial").get<int64_t>());
    t.status = status_from_name(ev.at("status").get<std::string>());
    t.exit_code = ev.value("exit", -1);
    t.reason = ev.value("reason", "");
    t.stop_requested = false;
    if (t.status == Status::kPaused)
      return scheduler_->on_paused(t.id, ev.value("epochs", t.epochs()));
    if (t.status == Status::kCompleted || t.status == Status::kFailed ||
        t.status == Status::kStopped) {
      scheduler_->on_ended(t.id);
    }
  } else if (kind == "finish") {
    state_.finished = true;
    state_.finish_reason = ev.value("reason", "");
    for (auto& t : state_.trials) {
      if (t.status == Status::kPaused) {
        t.reason = "paused at epoch " + std::to_string(t.epochs()) + " and not promoted";
      } else if (t.status == Status::kInterrupted || t.status == Status::kPending) {
        t.reason = "not resumed: " + state_.finish_reason;
      } else {
        continue;
      }
      t.status = Status::kStopped;
      scheduler_->on_ended(t.id);
    }
  }
  return "";
}

std::vector<const Trial*> Study::ranked() const {
  std::vector<const Trial*> out;
  for (const auto& t : state_.trials) out.push_back(&t);
  auto key = [&](const Trial* t) {
    double s = score_of(spec_, *t);
    return std::make_tuple(std::isnan(s) ? 1 : 0, std::isnan(s) ? 0.0 : s, -t->epochs(), t->id);
  };
  std::stable_sort(out.begin(), out.end(),
                   [&](const Trial* a, const Trial* b) { return key(a) < key(b); });
  return out;
}

std::vector<Observation> Study::observations() const {
  std::vector<Observation> out;
  for (const auto& t : state_.trials) {
    if (t.values.empty()) continue;
    if (t.status != Status::kCompleted && t.status != Status::kStopped &&
        t.status != Status::kPaused)
      continue;
    out.push_back({t.params, score_of(spec_, t), t.epochs(), t.status == Status::kCompleted});
  }
  return out;
}

}  // namespace itwin::hpo
