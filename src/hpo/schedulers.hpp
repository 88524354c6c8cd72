#pragma once
// The trial schedulers (internal to src/hpo; the registry is scheduler.cpp).

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "itwin/hpo/scheduler.hpp"

namespace itwin::hpo {

std::unique_ptr<TrialScheduler> make_fifo(const config::HpoSpec& spec);
std::unique_ptr<TrialScheduler> make_median(const config::HpoSpec& spec);
std::unique_ptr<TrialScheduler> make_asha(const config::HpoSpec& spec);
std::unique_ptr<TrialScheduler> make_hyperband(const config::HpoSpec& spec);

/// Each trial's scores by epoch (1-based), as the schedulers see them.
class ScoreBook {
 public:
  void add(int64_t trial, int64_t epoch, double score);
  /// The score after `epoch` (NaN when not reported).
  double at(int64_t trial, int64_t epoch) const;
  int64_t epochs(int64_t trial) const;
  const std::map<int64_t, double>& of(int64_t trial) const;
  std::vector<int64_t> trials() const;

 private:
  std::map<int64_t, std::map<int64_t, double>> s_;
};

/// `ids` ranked by their score at `epoch`, best first; NaN last; ties by id.
std::vector<int64_t> rank_at(const ScoreBook& book, std::vector<int64_t> ids, int64_t epoch);

/// A score as the user reads it: the metric's own sign, short.
std::string shown(const config::HpoSpec& spec, double score);

}  // namespace itwin::hpo
