// ASHA, promotion-based (Li et al. 2018, "A System for Massively Parallel
// Hyperparameter Tuning", Algorithm 2): a trial pauses at each rung; when a
// slot is free, the best trial not yet promoted among the top
// floor(n/reduction_factor) of a rung (highest rung first) continues to the
// next rung; if there is none, a new trial starts. Nothing waits for a cohort.
//
// One addition for a finite study: once no new trial may start, a rung with
// fewer than reduction_factor trials still promotes its best one, so that the
// study ends with a trial trained to max_t.
#include <algorithm>
#include <set>

#include "schedulers.hpp"

namespace itwin::hpo {

std::vector<int64_t> asha_rungs(const config::HpoSchedulerSpec& s, int bracket) {
  std::vector<int64_t> r;
  int64_t e = s.grace_period;
  for (int i = 0; i < bracket && e < s.max_t; ++i) e *= s.reduction_factor;
  for (; e < s.max_t; e *= s.reduction_factor) r.push_back(e);
  return r;
}

namespace {

class Asha : public TrialScheduler {
 public:
  explicit Asha(const config::HpoSpec& s) : spec_(s), sc_(s.scheduler) {
    for (int b = 0; b < sc_.brackets; ++b) {
      rungs_.push_back(asha_rungs(sc_, b));
      members_.emplace_back(rungs_.back().size());
    }
  }

  void on_new(int64_t trial, int bracket, int64_t) override {
    bracket_[trial] = bracket;
    ++started_;
  }
  void on_continue(int64_t trial, int64_t) override {
    promoted_.insert({trial, level_.at(trial)});
    waiting_.erase(trial);
  }
  void on_result(int64_t trial, int64_t epoch, double score) override {
    book_.add(trial, epoch, score);
  }

  std::string on_paused(int64_t trial, int64_t epoch) override {
    const int b = bracket_.at(trial);
    const auto& r = rungs_[static_cast<size_t>(b)];
    auto it = std::find(r.begin(), r.end(), epoch);
    if (it == r.end()) return "";  // not a rung of its bracket
    const size_t k = static_cast<size_t>(it - r.begin());
    auto& rung = members_[static_cast<size_t>(b)][k];
    if (std::find(rung.begin(), rung.end(), trial) == rung.end()) rung.push_back(trial);
    level_[trial] = k;
    waiting_.insert(trial);
    auto ranked = rank_at(book_, rung, epoch);
    const size_t place =
        static_cast<size_t>(std::find(ranked.begin(), ranked.end(), trial) - ranked.begin()) + 1;
    const size_t top = rung.size() / static_cast<size_t>(sc_.reduction_factor);
    return "trial " + std::to_string(trial) + " at rung " + std::to_string(k) + bracket_text(b) +
           " (epoch " + std::to_string(epoch) + "): " + spec_.metric + " " +
           shown(spec_, book_.at(trial, epoch)) + ", " + std::to_string(place) + " of " +
           std::to_string(rung.size()) + (place <= top ? ", in" : ", not in") + " the top " +
           std::to_string(top) + (place <= top ? ": promotable" : ": waits");
  }

  void on_ended(int64_t trial) override { waiting_.erase(trial); }

  Job next_job(bool may_start_new) const override {
    Job j;
    for (size_t b = 0; b < rungs_.size(); ++b) {
      const auto& r = rungs_[b];
      for (size_t k = r.size(); k-- > 0;) {
        const auto& rung = members_[b][k];
        size_t top = rung.size() / static_cast<size_t>(sc_.reduction_factor);
        if (!may_start_new && !rung.empty()) top = std::max<size_t>(top, 1);  // the end game
        auto ranked = rank_at(book_, rung, r[k]);
        for (size_t i = 0; i < top && i < ranked.size(); ++i) {
          const int64_t t = ranked[i];
          if (promoted_.count({t, k}) || !waiting_.count(t)) continue;
          j.kind = Job::Kind::kContinue;
          j.trial = t;
          j.until = k + 1 < r.size() ? r[k + 1] : sc_.max_t;
          j.reason = "promote trial " + std::to_string(t) + " from rung " + std::to_string(k) +
                     bracket_text(static_cast<int>(b)) + " (epoch " + std::to_string(r[k]) + ", " +
                     std::to_string(i + 1) + " of " + std::to_string(rung.size()) + ", top " +
                     std::to_string(top) + ") to epoch " + std::to_string(j.until);
          return j;
        }
      }
    }
    if (may_start_new) {
      j.kind = Job::Kind::kNew;
      j.bracket = static_cast<int>(started_ % static_cast<int64_t>(rungs_.size()));
      const auto& r = rungs_[static_cast<size_t>(j.bracket)];
      j.until = r.empty() ? sc_.max_t : r.front();
    }
    return j;
  }

  std::string rung_of(int64_t trial) const override {
    if (book_.epochs(trial) >= sc_.max_t) return "max";
    auto l = level_.find(trial);
    return l == level_.end() ? "-" : std::to_string(l->second);
  }

 private:
  std::string bracket_text(int b) const {
    return rungs_.size() > 1 ? " of bracket " + std::to_string(b) : "";
  }

  config::HpoSpec spec_;
  config::HpoSchedulerSpec sc_;
  std::vector<std::vector<int64_t>> rungs_;  ///< per bracket: rung epochs
  std::vector<std::vector<std::vector<int64_t>>>
      members_;  ///< per bracket, per rung: trials in arrival order
  std::map<int64_t, int> bracket_;
  std::map<int64_t, size_t> level_;                ///< the highest rung a trial paused at
  std::set<std::pair<int64_t, size_t>> promoted_;  ///< (trial, rung it was promoted from)
  std::set<int64_t> waiting_;                      ///< paused, may be promoted
  ScoreBook book_;
  int64_t started_ = 0;
};

}  // namespace

std::unique_ptr<TrialScheduler> make_asha(const config::HpoSpec& spec) {
  return std::make_unique<Asha>(spec);
}

}  // namespace itwin::hpo
