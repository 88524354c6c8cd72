// Hyperband (Li et al. 2017): brackets of synchronous successive halving.
// Bracket s of s_max+1 starts n = ceil((s_max+1)/(s+1) * eta^s) trials at
// max_t * eta^-s epochs; when every trial of a rung's cohort has reported
// (or failed), the best max(1, floor(k/eta)) of the k that reached it
// continue to the next rung. Brackets follow each other (most aggressive
// first, then around again) as trials are started, so a slot never idles
// while a bracket waits for its cohort.
#include <algorithm>
#include <cmath>
#include <set>

#include "schedulers.hpp"

namespace itwin::hpo {

std::vector<HyperbandBracket> hyperband_brackets(const config::HpoSchedulerSpec& s) {
  const double eta = static_cast<double>(s.reduction_factor);
  const double R = static_cast<double>(s.max_t) / static_cast<double>(s.grace_period);
  const int s_max = static_cast<int>(std::floor(std::log(R) / std::log(eta) + 1e-9));
  std::vector<HyperbandBracket> out;
  for (int si = s_max; si >= 0; --si) {
    HyperbandBracket b;
    b.trials = static_cast<int64_t>(
        std::ceil(static_cast<double>(s_max + 1) * std::pow(eta, si) / (si + 1) - 1e-9));
    for (int i = 0; i <= si; ++i) {
      int64_t e = std::max<int64_t>(
          s.grace_period, std::llround(static_cast<double>(s.max_t) * std::pow(eta, i - si)));
      if (i == si) e = s.max_t;
      if (b.rungs.empty() || e > b.rungs.back()) b.rungs.push_back(e);
    }
    out.push_back(b);
  }
  return out;
}

namespace {

class Hyperband : public TrialScheduler {
 public:
  explicit Hyperband(const config::HpoSpec& s)
      : spec_(s), types_(hyperband_brackets(s.scheduler)) {}

  void on_new(int64_t trial, int bracket, int64_t) override {
    if (bracket >= static_cast<int>(inst_.size())) inst_.resize(static_cast<size_t>(bracket) + 1);
    inst_[static_cast<size_t>(bracket)].push_back(trial);
    instance_[trial] = bracket;
  }
  void on_continue(int64_t trial, int64_t) override {
    continued_.insert({trial, level_.at(trial)});
    paused_.erase(trial);
  }
  void on_result(int64_t trial, int64_t epoch, double score) override {
    book_.add(trial, epoch, score);
  }
  std::string on_paused(int64_t trial, int64_t epoch) override {
    const int b = instance_.at(trial);
    const auto& r = rungs(b);
    auto it = std::find(r.begin(), r.end(), epoch);
    if (it == r.end()) return "";
    level_[trial] = static_cast<size_t>(it - r.begin());
    paused_.insert(trial);
    const auto c = cohort(b, level_[trial]);
    size_t in = 0;
    for (int64_t t : c) in += paused_.count(t) || ended_.count(t);
    return "trial " + std::to_string(trial) + " waits at rung " + std::to_string(level_[trial]) +
           " of bracket " + std::to_string(b) + " (epoch " + std::to_string(epoch) +
           "): " + std::to_string(in) + " of its cohort of " + std::to_string(c.size()) + " are in";
  }
  void on_ended(int64_t trial) override {
    ended_.insert(trial);
    paused_.erase(trial);
  }

  Job next_job(bool may_start_new) const override {
    Job j;
    for (size_t b = 0; b < inst_.size(); ++b) {
      const auto& r = rungs(static_cast<int>(b));
      for (size_t L = 0; L + 1 < r.size(); ++L) {
        if (!complete(static_cast<int>(b), L, may_start_new)) break;
        std::vector<int64_t> reached;
        for (int64_t t : cohort(static_cast<int>(b), L))
          if (!std::isnan(book_.at(t, r[L]))) reached.push_back(t);
        auto ranked = rank_at(book_, reached, r[L]);
        const size_t top =
            ranked.empty()
                ? 0
                : std::max<size_t>(
                      1, ranked.size() / static_cast<size_t>(spec_.scheduler.reduction_factor));
        for (size_t i = 0; i < top; ++i) {
          const int64_t t = ranked[i];
          if (continued_.count({t, L}) || !paused_.count(t)) continue;
          j.kind = Job::Kind::kContinue;
          j.trial = t;
          j.until = r[L + 1];
          j.reason = "bracket " + std::to_string(b) + " rung " + std::to_string(L) + " (epoch " +
                     std::to_string(r[L]) + ") complete with " + std::to_string(ranked.size()) +
                     " trials: trial " + std::to_string(t) + " is " + std::to_string(i + 1) +
                     " of the top " + std::to_string(top) + ", continues to epoch " +
                     std::to_string(j.until);
          return j;
        }
      }
    }
    if (may_start_new) {
      size_t b = inst_.size();
      if (!inst_.empty() &&
          static_cast<int64_t>(inst_.back().size()) < type(static_cast<int>(b - 1)).trials)
        --b;
      j.kind = Job::Kind::kNew;
      j.bracket = static_cast<int>(b);
      j.until = type(j.bracket).rungs.front();
    }
    return j;
  }

  std::string rung_of(int64_t trial) const override {
    auto i = instance_.find(trial);
    if (i == instance_.end()) return "-";
    auto l = level_.find(trial);
    std::string r = book_.epochs(trial) >= spec_.scheduler.max_t ? "max"
                    : l == level_.end()                          ? "-"
                                                                 : std::to_string(l->second);
    return "b" + std::to_string(i->second) + ":" + r;
  }

 private:
  const HyperbandBracket& type(int b) const {
    return types_[static_cast<size_t>(b) % types_.size()];
  }
  const std::vector<int64_t>& rungs(int b) const { return type(b).rungs; }

  // The trials that train towards rung L of bracket b.
  std::vector<int64_t> cohort(int b, size_t L) const {
    std::vector<int64_t> c;
    for (int64_t t : inst_[static_cast<size_t>(b)])
      if (L == 0 || continued_.count({t, L - 1})) c.push_back(t);
    return c;
  }

  // Every trial of the cohort has paused at rung L or ended (and, for the
  // first rung, the bracket has all its trials or no more will come).
  bool complete(int b, size_t L, bool may_start_new) const {
    if (L == 0 && may_start_new &&
        static_cast<int64_t>(inst_[static_cast<size_t>(b)].size()) < type(b).trials)
      return false;
    for (int64_t t : cohort(b, L)) {
      auto l = level_.find(t);
      bool waiting = paused_.count(t) && l != level_.end() && l->second == L;
      bool past = continued_.count({t, L});
      if (!waiting && !past && !ended_.count(t)) return false;
    }
    return true;
  }

  config::HpoSpec spec_;
  std::vector<HyperbandBracket> types_;
  std::vector<std::vector<int64_t>> inst_;  ///< per bracket started: its trials
  std::map<int64_t, int> instance_;
  std::map<int64_t, size_t> level_;
  std::set<std::pair<int64_t, size_t>> continued_;
  std::set<int64_t> paused_, ended_;
  ScoreBook book_;
};

}  // namespace

std::unique_ptr<TrialScheduler> make_hyperband(const config::HpoSpec& spec) {
  return std::make_unique<Hyperband>(spec);
}

}  // namespace itwin::hpo
