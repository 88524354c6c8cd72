#pragma once
// Decisions every rank must share before training starts (internal to
// src/train): rank 0 decides and the others get the answer, or the same
// error, so that no rank goes on alone into a collective.

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "itwin/comm/backend.hpp"
#include "itwin/config/specs.hpp"
#include "itwin/track/loggers.hpp"
#include "itwin/util/error.hpp"

namespace itwin::train {

/// Rank 0 runs `decide`; every rank returns its result or throws its error.
std::string agree(comm::Backend& comm, const std::function<std::string()>& decide);

/// Every rank runs `work`; if it fails on any rank, every rank throws the
/// same CollectiveError: the error of the lowest failing rank, with its exit
/// code ("rank R: ..." when that is not rank 0). For steps before the run
/// directory exists, so that all ranks record and leave together.
void all_or_none(comm::Backend& comm, const std::function<void()>& work);

/// Opens the loggers of every rank: rank 0 first, so that the runs of the
/// other ranks nest under rank 0's (and find the experiments it created),
/// then the others. Every rank throws if any rank's loggers failed to open.
std::unique_ptr<track::MultiSink> open_loggers(comm::Backend& comm,
                                               const std::vector<config::LoggerSpec>& specs,
                                               track::RunInfo info);

/// An error on this rank alone (`e` is not a CollectiveError): says it where
/// the user looks (this rank's log, and `console_fd`, the job's console, when
/// >= 0), then ends every rank of the job (MPI_Abort with e's exit code).
/// Returns for backends whose peers notice a rank that left by themselves.
void end_job_alone(comm::Backend& comm, const Error& e, int console_fd);

}  // namespace itwin::train
