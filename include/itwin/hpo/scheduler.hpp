#pragma once
/// Trial schedulers decide how far each trial trains: fifo (every trial to
/// max_t), asha (asynchronous successive halving, promotion-based, Li et al.
/// 2018), hyperband (synchronous successive halving brackets, Li et al. 2017)
/// and median (the median stopping rule, Golovin et al. 2017).
///
/// A scheduler is a deterministic state machine: the on_* events change its
/// state (the controller calls them as things happen, and in the same order
/// when it rebuilds a study from the journal); next_job() and should_stop()
/// only read it. Values are scores where lower is better (a `max` metric
/// arrives negated).

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "itwin/config/hpo_spec.hpp"

namespace itwin::hpo {

/// What a free slot should do next.
struct Job {
  enum class Kind { kNone, kNew, kContinue };
  Kind kind = Kind::kNone;
  int64_t trial = -1;  ///< kContinue: the paused trial to continue
  int64_t until = 0;   ///< train up to this epoch
  int bracket = 0;     ///< kNew: the bracket the new trial joins
  std::string reason;  ///< kContinue: the promotion, for the journal
};

class TrialScheduler {
 public:
  virtual ~TrialScheduler() = default;

  /// A new trial (number `trial`, in bracket `bracket`) starts, to `until`.
  virtual void on_new(int64_t trial, int bracket, int64_t until) = 0;
  /// A paused trial continues to `until`.
  virtual void on_continue(int64_t trial, int64_t until) { (void)trial, (void)until; }
  /// A trial's score after `epoch` (1-based; every epoch, in order).
  virtual void on_result(int64_t trial, int64_t epoch, double score) = 0;
  /// A trial stopped at the end of its segment (`epoch` < max_t) and waits.
  /// Returns the rung decision for the journal ("" if none).
  virtual std::string on_paused(int64_t trial, int64_t epoch) {
    (void)trial, (void)epoch;
    return "";
  }
  /// A trial will never run again (finished, failed or stopped).
  virtual void on_ended(int64_t trial) = 0;

  /// The work for a free slot: continue a paused trial, or start a new one
  /// when `may_start_new` (trials left in the budget), or nothing yet.
  virtual Job next_job(bool may_start_new) const = 0;
  /// For a running trial after its latest result: a reason to stop it now.
  virtual std::optional<std::string> should_stop(int64_t trial) const {
    (void)trial;
    return std::nullopt;
  }
  /// The rung a trial reached, for tables ("" when the scheduler has none).
  virtual std::string rung_of(int64_t trial) const {
    (void)trial;
    return "";
  }
};

/// The scheduler `spec.scheduler.kind` names (config::hpo_scheduler_catalog();
/// max_t already resolved).
std::unique_ptr<TrialScheduler> make_scheduler(const config::HpoSpec& spec);

/// The epochs at which a trial of `bracket` pauses under asha (ascending,
/// each < max_t); max_t itself ends the trial.
std::vector<int64_t> asha_rungs(const config::HpoSchedulerSpec& s, int bracket);

/// Hyperband's brackets: for bracket b (0 = the most aggressive), the number
/// of trials it starts and the epochs of its rungs (the last one is max_t).
struct HyperbandBracket {
  int64_t trials = 0;
  std::vector<int64_t> rungs;
};
std::vector<HyperbandBracket> hyperband_brackets(const config::HpoSchedulerSpec& s);

}  // namespace itwin::hpo
