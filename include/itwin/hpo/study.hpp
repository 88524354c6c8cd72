#pragma once
/// A study's state as the fold of its journal: every event the controller
/// writes goes through Study::apply, live and when a study is rebuilt, so a
/// resumed study is exactly the one that was interrupted (trials, their
/// metrics, the scheduler's rungs and promotions).
///
/// Events (JSON objects, "event" names the kind; every event has "time"):
///   study    {config, snapshot, pipeline, ...}     the first line
///   session  {pid, host, nproc, concurrency}       a controller (re)started
///   trial    {trial, params, bracket, until}       the sampler proposed a trial
///   start    {trial, until, kind}                  a segment starts; kind new |
///                                                  continue | resume | restart
///   running  {trial, pid, host}                    its process (written once it runs)
///   result   {trial, epoch, value}                 the metric after an epoch
///   decision {trial, action, text}                 pause | promote | stop (rung decisions)
///   end      {trial, status, exit, epochs, reason} a segment ended
///   signal   {signal}                              the controller was asked to stop
///   finish   {reason}                              the study is over

#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "itwin/config/hpo_spec.hpp"
#include "itwin/hpo/sampler.hpp"
#include "itwin/hpo/scheduler.hpp"
#include "itwin/hpo/space.hpp"

namespace itwin::hpo {

enum class Status { kPending, kRunning, kPaused, kCompleted, kStopped, kFailed, kInterrupted };
const char* status_name(
    Status s);  ///< PENDING, RUNNING, PAUSED, COMPLETED, STOPPED, FAILED, INTERRUPTED
Status status_from_name(const std::string& s);

struct Trial {
  int64_t id = 0;
  Assignment params;
  int bracket = 0;
  Status status = Status::kPending;
  std::map<int64_t, double> values;  ///< epoch -> the metric as reported
  int64_t until = 0;                 ///< the epoch its latest segment trains to
  int segments = 0;                  ///< segments started (new, continued, resumed)
  int exit_code = -1;                ///< of its latest segment; -1 while none ended
  std::string reason;                ///< why it failed or stopped
  int64_t pid = 0;                   ///< of its latest segment
  std::string host;
  double started = 0;           ///< time of its latest start
  bool stop_requested = false;  ///< a scheduler asked it to stop
  std::string stop_reason;

  int64_t epochs() const { return values.empty() ? 0 : values.rbegin()->first; }
};

struct StudyState {
  std::vector<Trial> trials;
  bool finished = false;
  std::string finish_reason;
  double elapsed = 0;  ///< seconds the study has run, all sessions together
  double session_start = 0, last_time = 0;
};

/// The score of `values` up to `epoch` (last, best or the mean of the last
/// score_window), with lower better (a max metric negated); NaN when none.
double score_at(const config::HpoSpec& spec, const std::map<int64_t, double>& values,
                int64_t epoch);
double score_of(const config::HpoSpec& spec, const Trial& t);
/// `score` in the metric's own sign.
double metric_value(const config::HpoSpec& spec, double score);

class Study {
 public:
  explicit Study(config::HpoSpec spec);

  /// Applies one event. Returns the scheduler's rung decision when the event
  /// pauses a trial at a rung ("" otherwise). Throws RuntimeError on an event
  /// that does not fit (another study's journal).
  std::string apply(const nlohmann::json& event);

  const config::HpoSpec& spec() const { return spec_; }
  const StudyState& state() const { return state_; }
  const Trial& trial(int64_t id) const;
  TrialScheduler& scheduler() { return *scheduler_; }
  const TrialScheduler& scheduler() const { return *scheduler_; }

  /// Trials best first; those without a score last (by id).
  std::vector<const Trial*> ranked() const;
  /// What the sampler learns from: trials that reported and are not running
  /// or failed (completed, stopped, paused), in trial order.
  std::vector<Observation> observations() const;
  int64_t proposed() const { return static_cast<int64_t>(state_.trials.size()); }

 private:
  Trial& mutable_trial(int64_t id);

  config::HpoSpec spec_;
  StudyState state_;
  std::unique_ptr<TrialScheduler> scheduler_;
};

}  // namespace itwin::hpo
