// Finding runs: directories, scaling studies, HPO trees, and what is skipped.
#include "itwin/report/runs.hpp"

#include <catch2/catch.hpp>
#include <filesystem>

#include "fixture.hpp"
#include "itwin/util/error.hpp"

using namespace itwin;
using Catch::Matchers::Contains;

TEST_CASE("runs: a run directory, epochs from metrics.jsonl, step points ignored", "[report]") {
  test::TempDir d;
  std::string dir = test::write_run(
      d, "r", {"gloo", "ddp", 2, 1, {{9, 100, 10, {{"forward", 3}}}, {4, 200, 20}}});
  auto r = report::load_run_dir(dir);
  CHECK(r.backend == "gloo");
  CHECK(r.world_size == 2);
  CHECK(r.status == "FINISHED");
  REQUIRE(r.epochs.size() == 2);
  CHECK(r.epochs[0].epoch == 1);
  CHECK(r.epochs[0].time_s == 9);
  CHECK(r.epochs[0].step == 10);
  CHECK(r.epochs[0].ms.at("forward") == 3);  // not the step point's 9999
  CHECK(r.epochs[1].samples_per_s == 200);
}

TEST_CASE("runs: nodes from hosts, a re-logged epoch, malformed lines", "[report]") {
  test::TempDir d;
  d.write(
      "r/summary.json",
      R"({"status": "FINISHED", "world_size": 4, "hosts": ["a", "a", "b", "b"], "run_dir": "r"})");
  d.write("r/metrics.jsonl",
          "{\"epoch\": 1, \"epoch_time_s\": 5, \"samples_per_s\": 1}\n"
          "{\"epoch\": 2, \"epoch_time_s\": 9, \"samples_per_s\": 1}\n"
          "{\"epoch\": 2, \"epoch_time_s\": 4, \"samples_per_s\": 1}\n"  // resumed: epoch 2 again
          "{\"epoch\": 3, \"epoch_ti\n");                                // killed mid-write
  auto r = report::load_run_dir(d.path() + "/r");
  CHECK(r.nodes == 2);
  REQUIRE(r.epochs.size() == 2);
  CHECK(r.epochs[1].time_s == 4);
  REQUIRE(r.notes.size() == 1);
  CHECK_THAT(r.notes[0], Contains("1 malformed lines skipped"));
  CHECK(r.backend == "?");  // an old summary without it
}

TEST_CASE("runs: a scaling study, its missing jobs, and each run once", "[report]") {
  test::TempDir d;
  test::write_scaling_fixture(d);
  nlohmann::json study = {{"kind", "scaling"},
                          {"group", "g"},
                          {"jobs",
                           {{{"nodes", 1}, {"job_id", "11"}, {"run_dir", d.path() + "/runs/w2"}},
                            {{"nodes", 2}, {"job_id", "12"}, {"run_dir", d.path() + "/runs/w4"}},
                            {{"nodes", 4}, {"job_id", "13"}, {"run_dir", d.path() + "/runs/w8"}}}}};
  d.write("study/scaling.json", study.dump());
  auto l = report::load_runs({d.path() + "/study"});
  CHECK(l.runs.size() == 2);
  REQUIRE(l.skipped.size() == 1);
  CHECK_THAT(l.skipped[0], Contains("job 13 (4 nodes): no run directory (not run yet?)"));
  // The file itself, and the study beside the tree holding the same runs: read once each.
  CHECK(report::load_runs({d.path() + "/study/scaling.json"}).runs.size() == 2);
  auto both = report::load_runs({d.path() + "/study", d.path() + "/runs", d.path() + "/runs/w2"});
  CHECK(both.runs.size() == 6);
}

TEST_CASE("runs: an HPO study is a tree of run directories", "[report]") {
  test::TempDir d;
  test::write_run(d, "hpo/trials/0", {"gloo", "ddp", 1, 1, {{1, 1, 1}}});
  test::write_run(d, "hpo/trials/1", {"gloo", "ddp", 1, 1, {{2, 1, 1}}});
  d.write("hpo/trials/1/checkpoints/epoch-0001/summary.json", "{}");  // never a run
  d.write("hpo/study.json", "{}");
  auto l = report::load_runs({d.path() + "/hpo"});
  CHECK(l.runs.size() == 2);
  CHECK(l.skipped.empty());
}

TEST_CASE("runs: bad input is skipped with a reason or refused", "[report]") {
  test::TempDir d;
  d.write("t/broken/summary.json", "{not json");
  d.write("t/scaling.json", R"({"kind": "hpo"})");
  auto l = report::load_runs({d.path() + "/t"});
  CHECK(l.runs.empty());
  REQUIRE(l.skipped.size() == 2);
  CHECK_THAT(l.skipped[0], Contains("scaling.json: not a scaling study"));
  CHECK_THAT(l.skipped[1], Contains("broken: summary.json is not valid JSON"));
  CHECK_THROWS_AS(report::load_runs({d.path() + "/nope"}), UsageError);
  CHECK_THROWS_WITH(report::load_runs({d.write("x.txt", "")}),
                    Contains("expected a run directory"));
}
