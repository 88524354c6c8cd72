#include "itwin/train/progress.hpp"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "itwin/util/strings.hpp"

namespace itwin::train {

// mpirun hands ranks a pseudo-terminal even when its own output is a file,
// so a rank's isatty() says nothing about where the lines end up.
Progress::Progress(bool enabled, int64_t log_every)
    : enabled_(enabled),
      tty_(enabled && isatty(STDOUT_FILENO) && !std::getenv("OMPI_COMM_WORLD_RANK")),
      log_every_(log_every) {}

void Progress::begin_epoch(int64_t epoch, int64_t epochs, int64_t steps) {
  epoch_ = epoch;
  epochs_ = epochs;
  steps_ = steps;
  samples_ = 0;
  start_ = last_draw_ = std::chrono::steady_clock::now();
}

double Progress::samples_per_s() const {
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  return s > 0 ? static_cast<double>(samples_) / s : 0.0;
}

void Progress::step(int64_t done, int64_t samples, double loss) {
  samples_ = samples;
  if (!enabled_) return;
  auto now = std::chrono::steady_clock::now();
  double elapsed = std::chrono::duration<double>(now - start_).count();
  double eta =
      done > 0 ? elapsed / static_cast<double>(done) * static_cast<double>(steps_ - done) : 0;
  if (tty_) {
    if (done < steps_ && std::chrono::duration<double>(now - last_draw_).count() < 0.1) return;
    last_draw_ = now;
    int width = 24, fill = steps_ > 0 ? static_cast<int>(width * done / steps_) : width;
    std::string bar(static_cast<size_t>(fill), '=');
    bar.resize(static_cast<size_t>(width), ' ');
    std::printf("\r\033[Kepoch %lld/%lld [%s] %lld/%lld loss %.4f %.0f samples/s ETA %s",
                static_cast<long long>(epoch_), static_cast<long long>(epochs_), bar.c_str(),
                static_cast<long long>(done), static_cast<long long>(steps_), loss, samples_per_s(),
                format_duration(eta).c_str());
    std::fflush(stdout);
  } else if (done % log_every_ == 0 && done < steps_) {
    std::printf("epoch %lld/%lld step %lld/%lld loss %.4f %.0f samples/s ETA %s\n",
                static_cast<long long>(epoch_), static_cast<long long>(epochs_),
                static_cast<long long>(done), static_cast<long long>(steps_), loss, samples_per_s(),
                format_duration(eta).c_str());
    std::fflush(stdout);
  }
}

void Progress::end_epoch(const std::string& summary) {
  if (!enabled_) return;
  std::printf("%s%s\n", tty_ ? "\r\033[K" : "", summary.c_str());
  std::fflush(stdout);
}

}  // namespace itwin::train
