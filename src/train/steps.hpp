#pragma once
// The step executors behind one torch-free seam (internal to src/train):
// run.cpp orchestrates a pipeline without torch headers; steps.cpp holds the
// data, the model and the predictions between steps.

#include <cstdint>
#include <memory>

#include "itwin/config/pipeline.hpp"
#include "itwin/train/session.hpp"
#include "itwin/util/sysinfo.hpp"

namespace itwin::train {

enum class StepOutcome { Done, Paused };

class StepRunner {
 public:
  virtual ~StepRunner() = default;
  /// Checks `step` against what the earlier steps produced (shapes, labels,
  /// classes) before anything is written: a mismatch the config causes is a
  /// ConfigError at the step.
  virtual void check(const config::Step& step) = 0;
  /// Runs `step`. LibTorch's errors come out as itwin errors naming the step.
  virtual StepOutcome run(const config::Step& step, RunSession& session) = 0;
};

/// Intra-op threads, and whether itwin chose them (then the trainer adapts
/// them to the cores other processes leave free).
struct Threads {
  int64_t count = 1;
  bool adaptive = false;
};

/// The torch side of a run: sets the intra-op threads, seeds, and returns the
/// executors. `start`: the CPUs' use when the run started.
std::unique_ptr<StepRunner> make_step_runner(const config::Config& cfg, Threads threads,
                                             const CpuSnapshot& start);

/// True for the steps that write into the run directory (the session opens before them).
bool step_needs_session(const config::Step& step);

}  // namespace itwin::train
