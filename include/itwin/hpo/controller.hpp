#pragma once
/// The study controller: one small process that proposes trials, starts
/// each trial segment as a separate `itwin train` process (through a
/// TrialRunner), reads their metrics as epochs end, lets the scheduler
/// pause, promote and stop them, and writes every event to the journal
/// before acting on it.
///
/// 1. Rebuild the study from its journal (a new study: an empty journal).
/// 2. Reconcile segments an earlier controller left running: wait for their
///    process, read what they wrote, then continue or resume them.
/// 3. Loop: fill free slots (resumes first, then the scheduler's promotions
///    and new trials), wait for an exit or the next metrics poll, apply the
///    scheduler's stops, redraw the table.
/// 4. When nothing runs and nothing is left to start, finish the study.
/// SIGTERM/SIGUSR1/SIGINT: forward SIGTERM to the trials (they checkpoint
/// and exit 75), journal it, return 75 (130 for SIGINT).

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "itwin/hpo/journal.hpp"
#include "itwin/hpo/launcher.hpp"
#include "itwin/hpo/outcome.hpp"
#include "itwin/hpo/sampler.hpp"
#include "itwin/hpo/study.hpp"
#include "itwin/hpo/table.hpp"

namespace itwin::hpo {

struct ControllerOptions {
  std::string study_dir;
  std::string config;    ///< the config file trials run (the study's snapshot)
  std::string run_name;  ///< trials are named <run_name>-trial-NNNN
  int concurrency = 1;   ///< trials at once
  int threads = 0;       ///< --threads per rank (0: itwin decides)
  int64_t epochs = 0;    ///< the trainer's epochs (segments ending earlier pass --until-epoch)
  std::vector<std::string> trial_sets;  ///< overrides for every trial (tracking)
  double poll_s = 0.5;                  ///< how often running trials' metrics are read
  /// The stop request to honour (default: controller_signal()).
  std::function<int()> stop_signal;
  /// A trial reached a final status (COMPLETED, FAILED, STOPPED); for tracking.
  std::function<void(const Trial&, const std::string& run_dir)> on_final;
  /// The best score after `done` final trials, in the metric's sign.
  std::function<void(int64_t done, double best)> on_best;
};

class Controller {
 public:
  /// Throws ConfigError when the spec cannot run (a grid smaller than `trials`).
  Controller(config::HpoSpec spec, ControllerOptions o, TrialRunner& runner, LiveTable& table);

  /// Runs (or continues) the study. Returns 0 when it is complete, 75 after
  /// SIGTERM or SIGUSR1, 130 after SIGINT (run it again to continue).
  int run();

  const Study& study() const { return study_; }
  std::string trial_dir(int64_t id) const;
  std::string journal_path() const { return o_.study_dir + "/journal.jsonl"; }
  /// Seconds the study has run, all sessions together.
  double elapsed() const;

 private:
  struct Running {
    int64_t trial;
    MetricsTail tail;
  };
  struct Queued {
    int64_t trial;
    std::string kind;  ///< new | resume | restart
  };

  nlohmann::json record(nlohmann::json event);
  void reconcile();
  void settle(int64_t id, int exit);
  bool fill_slots();
  void start(int64_t id, const std::string& kind, int64_t until);
  void poll_metrics();
  void read_metrics(int64_t id, MetricsTail& tail);
  void on_exit(const Exited& e);
  void check_budget();
  int shut_down(int sig);
  void finish(const std::string& reason);
  int64_t trial_limit() const;

  config::HpoSpec spec_;
  ControllerOptions o_;
  TrialRunner& runner_;
  LiveTable& table_;
  Study study_;
  std::unique_ptr<Sampler> sampler_;
  std::unique_ptr<Journal> journal_;
  std::map<int64_t, Running> running_;  ///< by handle
  std::vector<Queued> queue_;           ///< segments to start before anything new
  std::map<int64_t, int> interrupts_;   ///< interruptions per trial in this session
  bool budget_over_ = false;
};

}  // namespace itwin::hpo
