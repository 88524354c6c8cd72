#pragma once
/// The training progress display: a live line on a terminal, plain lines
/// every `log_every` steps otherwise (SLURM logs, CI). Only rank 0 prints.

#include <chrono>
#include <cstdint>
#include <string>

namespace itwin::train {

class Progress {
 public:
  Progress(bool enabled, int64_t log_every);
  void begin_epoch(int64_t epoch, int64_t epochs, int64_t steps);
  /// After each step: steps done this epoch, samples done, running loss.
  void step(int64_t done, int64_t samples, double loss);
  void end_epoch(const std::string& summary);
  /// Throughput of the epoch so far (samples/s).
  double samples_per_s() const;

 private:
  bool enabled_, tty_;
  int64_t log_every_, epoch_ = 0, epochs_ = 0, steps_ = 0, samples_ = 0;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

}  // namespace itwin::train
