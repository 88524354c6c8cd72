#include "rank_sync.hpp"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "itwin/util/error.hpp"
#include "itwin/util/job_error.hpp"
#include "itwin/util/log.hpp"
#include "itwin/util/strings.hpp"

namespace itwin::train {

std::string agree(comm::Backend& comm, const std::function<std::string()>& decide) {
  std::string s;
  if (comm.rank() == 0) {
    try {
      s = decide();
    } catch (const Error& e) {
      s = std::string(1, '\x01') + std::to_string(e.exit_code()) + "\x01" + e.what();
    } catch (const std::exception& e) {  // e.g. a filesystem_error: the others must learn it too
      s = std::string(1, '\x01') + std::to_string(kExitFailure) + "\x01" + e.what();
    }
  }
  int64_t n = static_cast<int64_t>(s.size());
  comm.broadcast(&n, 1, comm::DType::I64, 0);
  s.resize(static_cast<size_t>(n));
  comm.broadcast(s.data(), s.size(), comm::DType::U8, 0);
  if (!s.empty() && s[0] == '\x01') {
    auto sep = s.find('\x01', 1);
    throw CollectiveError(s.substr(sep + 1), std::atoi(s.substr(1, sep - 1).c_str()));
  }
  return s;
}

void all_or_none(comm::Backend& comm, const std::function<void()>& work) {
  std::string error;
  int code = 0;
  try {
    work();
  } catch (const Error& e) {
    error = e.what();
    code = e.exit_code();
  } catch (const std::exception& e) {  // itwin's errors and, e.g., a filesystem_error alike
    error = e.what();
    code = kExitFailure;
  }
  if (comm.world() == 1) {
    if (code) throw CollectiveError(error, code);
    return;
  }
  int32_t first = code ? comm.rank() : comm.world();  // the lowest failing rank
  comm.allreduce(&first, 1, comm::DType::I32, comm::ReduceOp::Min);
  if (first == comm.world()) return;
  std::string what = std::to_string(code) + "\x01" + error;
  int64_t n = static_cast<int64_t>(what.size());
  comm.broadcast(&n, 1, comm::DType::I64, first);
  what.resize(static_cast<size_t>(n));
  comm.broadcast(what.data(), what.size(), comm::DType::U8, first);
  auto sep = what.find('\x01');
  std::string msg = what.substr(sep + 1);
  throw CollectiveError(first == 0 ? msg : "rank " + std::to_string(first) + ": " + msg,
                        std::atoi(what.c_str()));
}

std::unique_ptr<track::MultiSink> open_loggers(comm::Backend& comm,
                                               const std::vector<config::LoggerSpec>& specs,
                                               track::RunInfo info) {
  std::unique_ptr<track::MultiSink> sinks;
  // 1. Rank 0 opens its loggers; the ids of the runs they created go to all.
  std::string ids = agree(comm, [&] {
    sinks = track::make_sinks(specs, info);
    std::string joined;
    for (const auto& r : sinks->tracked_runs()) joined += r.id + "\n";
    return joined;
  });
  if (comm.world() == 1) return sinks;
  // 2. The other ranks open theirs, nested under rank 0's runs.
  std::string error;
  if (comm.rank() != 0) {
    std::vector<std::string> parents = split(ids, '\n');
    info.parent_runs.resize(std::max(info.parent_runs.size(), specs.size()));
    for (size_t i = 0; i < specs.size() && i < parents.size(); ++i) {
      if (!parents[i].empty()) info.parent_runs[i] = parents[i];
    }
    try {
      sinks = track::make_sinks(specs, info);
    } catch (const std::exception&
                 e) {  // itwin's errors and, e.g., a filesystem_error: either way all must learn it
      error = e.what();
    }
  }
  // 3. All learn whether every rank is ready.
  int32_t failed = error.empty() ? 0 : 1;
  comm.allreduce(&failed, 1, comm::DType::I32, comm::ReduceOp::Max);
  if (failed && sinks) sinks->close("FAILED");
  if (!error.empty()) throw CollectiveError("rank " + std::to_string(comm.rank()) + ": " + error);
  if (failed)
    throw CollectiveError("the loggers of another rank could not start (see logs/rank-N.log)");
  return sinks;
}

void end_job_alone(comm::Backend& comm, const Error& e, int console_fd) {
  spdlog::error("{}", e.what());
  if (console_fd >= 0) {
    std::string line = "itwin: error: [rank " + std::to_string(comm.rank()) + "/" +
                       std::to_string(comm.world()) + "] " + e.what() + "\n";
    if (::write(console_fd, line.data(), line.size()) < 0) {
    }  // best effort: the job is ending
  }
  // What this rank wrote to the console may not get through mpirun.
  leave_job_error(comm.rank(), e.exit_code(),
                  "[rank " + std::to_string(comm.rank()) + "/" + std::to_string(comm.world()) +
                      "] " + e.what());
  std::fflush(nullptr);
  comm.abort_job(e.exit_code());
}

}  // namespace itwin::train
