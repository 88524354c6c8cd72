// The ranks' errors for the launcher: the one whose exit code is the job's
// wins over a peer's symptom, the lowest rank among equals; nothing is left
// outside itwin's launcher.
#include "itwin/util/job_error.hpp"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>

#include "../helpers.hpp"

using itwin::job_error;
using itwin::leave_job_error;

TEST_CASE("job error: the failing rank's cause, not its peers' symptoms", "[util]") {
  itwin::test::TempDir d;
  const std::string job = d.path() + "/job";
  setenv("ITWIN_JOB_FILE", job.c_str(), 1);
  CHECK(job_error(job, 3).text.empty());
  leave_job_error(0, 1, "[rank 0/3] connection closed by peer");
  leave_job_error(2, 3, "[rank 2/3] training diverged");
  leave_job_error(1, 3, "[rank 1/3] training diverged\nat step 4");
  unsetenv("ITWIN_JOB_FILE");
  auto diverged = job_error(job, 3);
  CHECK(diverged.text == "[rank 1/3] training diverged\nat step 4");
  CHECK(diverged.matches);
  auto closed = job_error(job, 1);
  CHECK(closed.text == "[rank 0/3] connection closed by peer");
  CHECK(closed.matches);
  auto other = job_error(job, 139);  // mpirun crashed: no rank's code is the job's
  CHECK(other.text == "[rank 0/3] connection closed by peer");
  CHECK_FALSE(other.matches);
  CHECK(other.exit_code == 1);
  CHECK(diverged.exit_code == 3);
  // Without ITWIN_JOB_FILE (not under itwin's launcher), nothing is written.
  leave_job_error(5, 3, "[rank 5/6] lost");
  CHECK(std::distance(std::filesystem::directory_iterator(d.path()), {}) == 3);
}
