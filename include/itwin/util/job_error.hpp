#pragma once
/// A rank's own error, handed to itwin's launcher (launch/spawn.cpp), which
/// says a failed job's cause last: what a rank prints just before MPI_Abort
/// may never reach the console (mpirun drops the output in flight).

#include <string>

namespace itwin {

/// Leaves `text` and `exit_code` as this rank's error beside the job file
/// (ITWIN_JOB_FILE.error-rank-RANK). Nothing outside itwin's launcher; best
/// effort, never throws: the job is ending.
void leave_job_error(int rank, int exit_code, const std::string& text) noexcept;

struct JobError {
  std::string text;      ///< "" when no rank left one
  bool matches = false;  ///< its exit code is the job's
  int exit_code = 0;     ///< the exit code that rank ended with
};

/// The error the ranks of the job left beside `job_file`: of those whose code
/// is the job's `status`, the lowest rank's (so that a peer failing on the
/// closed connection does not hide the cause), else the lowest rank's.
JobError job_error(const std::string& job_file, int status);

}  // namespace itwin
