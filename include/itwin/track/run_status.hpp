#pragma once
/// Setting a tracked run's status after the run itself has ended: a study
/// marks the MLflow runs of the trials it stopped KILLED (and those it
/// judged failed FAILED), so that no trial's run stays RUNNING.

#include <string>

#include "itwin/track/sink.hpp"

namespace itwin::track {

/// Sets `run`'s status (FINISHED, FAILED, KILLED, RUNNING) and, unless
/// RUNNING, its end time (now, unless it has one). File store: the run's
/// meta.yaml; tracking server: runs/update. A run that no longer exists is
/// an error; a `kind` other than mlflow is ignored.
void set_run_status(const TrackedRun& run, const std::string& status);

}  // namespace itwin::track
