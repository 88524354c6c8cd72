// The scheduler registry, the score book, fifo and the median stopping rule.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "itwin/util/error.hpp"
#include "schedulers.hpp"

namespace itwin::hpo {

void ScoreBook::add(int64_t trial, int64_t epoch, double score) { s_[trial].emplace(epoch, score); }

double ScoreBook::at(int64_t trial, int64_t epoch) const {
  auto t = s_.find(trial);
  if (t == s_.end()) return NAN;
  auto e = t->second.find(epoch);
  return e == t->second.end() ? NAN : e->second;
}

int64_t ScoreBook::epochs(int64_t trial) const {
  auto t = s_.find(trial);
  return t == s_.end() || t->second.empty() ? 0 : t->second.rbegin()->first;
}

const std::map<int64_t, double>& ScoreBook::of(int64_t trial) const {
  static const std::map<int64_t, double> none;
  auto t = s_.find(trial);
  return t == s_.end() ? none : t->second;
}

std::vector<int64_t> ScoreBook::trials() const {
  std::vector<int64_t> v;
  for (const auto& [t, _] : s_) v.push_back(t);
  return v;
}

std::vector<int64_t> rank_at(const ScoreBook& book, std::vector<int64_t> ids, int64_t epoch) {
  auto key = [&](int64_t t) {
    double v = book.at(t, epoch);
    return std::make_pair(std::isnan(v) ? INFINITY : v, t);
  };
  std::sort(ids.begin(), ids.end(), [&](int64_t a, int64_t b) { return key(a) < key(b); });
  return ids;
}

std::string shown(const config::HpoSpec& spec, double score) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", spec.mode == config::Mode::Max ? -score : score);
  return buf;
}

namespace {

// Every trial trains to max_t; nothing is stopped.
class Fifo : public TrialScheduler {
 public:
  explicit Fifo(const config::HpoSpec& s) : max_t_(s.scheduler.max_t) {}
  void on_new(int64_t, int, int64_t) override {}
  void on_result(int64_t, int64_t, double) override {}
  void on_ended(int64_t) override {}
  Job next_job(bool may_start_new) const override {
    Job j;
    if (may_start_new) {
      j.kind = Job::Kind::kNew;
      j.until = max_t_;
    }
    return j;
  }

 private:
  int64_t max_t_;
};

// The median stopping rule as Ray Tune applies it: after grace_period epochs,
// stop a trial whose best score so far is worse than the median of the
// running means (over the same epochs) of the other trials that got that far,
// once at least min_trials of them have.
class Median : public Fifo {
 public:
  explicit Median(const config::HpoSpec& s) : Fifo(s), spec_(s) {}
  void on_result(int64_t trial, int64_t epoch, double score) override {
    book_.add(trial, epoch, score);
  }

  std::optional<std::string> should_stop(int64_t trial) const override {
    const int64_t t = book_.epochs(trial);
    if (t < spec_.scheduler.grace_period) return std::nullopt;
    std::vector<double> means;
    for (int64_t other : book_.trials()) {
      if (other == trial || book_.epochs(other) < t) continue;
      double sum = 0;
      for (int64_t e = 1; e <= t; ++e) sum += book_.at(other, e);
      means.push_back(sum / static_cast<double>(t));
    }
    means.erase(std::remove_if(means.begin(), means.end(), [](double v) { return std::isnan(v); }),
                means.end());
    if (static_cast<int64_t>(means.size()) < spec_.scheduler.min_trials) return std::nullopt;
    std::sort(means.begin(), means.end());
    const size_t n = means.size();
    const double median = n % 2 ? means[n / 2] : 0.5 * (means[n / 2 - 1] + means[n / 2]);
    double best = INFINITY;
    for (const auto& [e, v] : book_.of(trial)) {
      if (e <= t && !std::isnan(v)) best = std::min(best, v);
    }
    if (!(best > median)) return std::nullopt;
    return "median rule at epoch " + std::to_string(t) + ": best " + spec_.metric + " " +
           shown(spec_, best) + " is worse than the median " + shown(spec_, median) + " of " +
           std::to_string(n) + " other trials' running means";
  }

 private:
  config::HpoSpec spec_;
  ScoreBook book_;
};

}  // namespace

std::unique_ptr<TrialScheduler> make_fifo(const config::HpoSpec& spec) {
  return std::make_unique<Fifo>(spec);
}
std::unique_ptr<TrialScheduler> make_median(const config::HpoSpec& spec) {
  return std::make_unique<Median>(spec);
}

std::unique_ptr<TrialScheduler> make_scheduler(const config::HpoSpec& spec) {
  switch (spec.scheduler.kind) {
    case config::TrialSchedulerKind::Fifo:
      return make_fifo(spec);
    case config::TrialSchedulerKind::Asha:
      return make_asha(spec);
    case config::TrialSchedulerKind::Hyperband:
      return make_hyperband(spec);
    case config::TrialSchedulerKind::Median:
      return make_median(spec);
  }
  throw ConfigError(spec.where + ": hpo: no scheduler");
}

}  // namespace itwin::hpo
