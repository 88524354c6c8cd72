#pragma once
/// Learning-rate schedules as pure functions of the epoch: resuming needs no
/// scheduler state, and every rank computes the same value.

#include <cstdint>

#include "itwin/config/specs.hpp"

namespace itwin::train {

/// The learning rate for 0-based `epoch` of `epochs`, from `base`.
/// Linear warmup (warmup_start*base -> base over warmup_epochs) comes first;
/// the schedule then runs over the remaining epochs.
double lr_at(const config::SchedulerSpec& s, double base, int64_t epoch, int64_t epochs);

}  // namespace itwin::train
