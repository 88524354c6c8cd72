#pragma once
/// Where a rank's training time goes, phase by phase: always on and cheap (a
/// steady-clock read at each phase boundary of an optimizer step).
///
/// Phases of one step: data (gathering the batch), forward (model and loss),
/// backward, comm_exposed (waiting for the gradient collectives after this
/// rank's own backward has finished), optimizer (clipping, update, zero1's
/// all-gather). comm is the whole time the gradient collectives took, hidden
/// behind backward or not; checkpoint and logging are outside the steps.

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <string>

namespace itwin::train {

enum class Phase {
  Data,
  Forward,
  Backward,
  CommExposed,
  Optimizer,
  Comm,
  Checkpoint,
  Logging,
  kCount
};
const char* phase_name(Phase p);  ///< "data", "forward", ..., "comm_exposed"

class PhaseTimes {
 public:
  void add(Phase p, double seconds) { s_[static_cast<size_t>(p)] += seconds; }
  double seconds(Phase p) const { return s_[static_cast<size_t>(p)]; }
  void add_steps(int64_t n) { steps_ += n; }
  int64_t steps() const { return steps_; }
  /// Milliseconds per step of each phase ("data" -> 1.25, ...).
  std::map<std::string, double> ms_per_step() const;
  /// The raw sums as a flat array (for reductions across ranks): phases, then steps.
  std::array<double, static_cast<size_t>(Phase::kCount) + 1> raw() const;
  static PhaseTimes from_raw(const double* raw);
  void merge(const PhaseTimes& o) {
    for (size_t i = 0; i < s_.size(); ++i) s_[i] += o.s_[i];
    steps_ += o.steps_;
  }

 private:
  std::array<double, static_cast<size_t>(Phase::kCount)> s_{};
  int64_t steps_ = 0;
};

/// A stopwatch for consecutive phases: lap(p) charges the time since the last lap to p.
class Laps {
 public:
  explicit Laps(PhaseTimes& t) : t_(t), last_(Clock::now()) {}
  /// Adds the time since the last lap to `p`, less `counted_elsewhere`
  /// seconds of it that the caller added to another phase.
  void lap(Phase p, double counted_elsewhere = 0) {
    auto now = Clock::now();
    t_.add(p, std::chrono::duration<double>(now - last_).count() - counted_elsewhere);
    last_ = now;
  }
  void restart() { last_ = Clock::now(); }

 private:
  using Clock = std::chrono::steady_clock;
  PhaseTimes& t_;
  Clock::time_point last_;
};

}  // namespace itwin::train
