// Setting a finished MLflow run's status afterwards (file store).
#include "itwin/track/run_status.hpp"

#include <catch2/catch.hpp>

#include "../helpers.hpp"
#include "itwin/util/fs.hpp"

using namespace itwin;
using Catch::Contains;

TEST_CASE("run status: a file-store run's meta.yaml gets the status and an end time",
          "[hpo][track]") {
  test::TempDir d;
  std::string meta = d.write(
      "store/1/abc/meta.yaml",
      "artifact_uri: 'file:///x'\nend_time: null\nentry_point_name: ''\nexperiment_id: '1'\n"
      "run_id: abc\nstart_time: 5\nstatus: 1\ntags: []\n");
  track::TrackedRun run{"mlflow", d.path() + "/store", "1", "abc"};
  track::set_run_status(run, "KILLED");
  std::string m = read_file(meta);
  CHECK_THAT(m, Contains("\nstatus: 5\n"));
  CHECK_THAT(m, !Contains("end_time: null"));
  CHECK_THAT(m, Contains("start_time: 5\n"));
  track::set_run_status(run, "FAILED");
  CHECK_THAT(read_file(meta), Contains("\nstatus: 4\n"));
  track::set_run_status({"", "", "", ""}, "KILLED");  // a logger without a run: nothing to do
  CHECK_THROWS_WITH(track::set_run_status({"mlflow", d.path() + "/store", "1", "gone"}, "KILLED"),
                    Contains("no MLflow run at"));
  CHECK_THROWS_WITH(track::set_run_status(run, "PAUSED"),
                    Contains("unknown MLflow run status 'PAUSED'"));
}
