// Runs from an MLflow file store: one written by itwin's own MLflow logger, and one laid out by
// hand.
#include <catch2/catch.hpp>
#include <filesystem>

#include "fixture.hpp"
#include "itwin/report/report.hpp"
#include "itwin/report/runs.hpp"
#include "itwin/track/loggers.hpp"
#include "itwin/util/fs.hpp"

using namespace itwin;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

namespace {

// A 2-rank run as the trainer records it: summary.json, then epoch points
// through the loggers (JSON lines and the MLflow file store), then close.
std::string tracked_run(const test::TempDir& d, track::TrackedRun* mlflow_run = nullptr) {
  std::string dir = d.path() + "/run";
  track::RunInfo info;
  info.run_dir = dir;
  info.run_name = "scaling";
  info.pipeline = "training";
  info.world = 2;
  info.params = {{"distributed.backend", "auto"}, {"distributed.strategy", "zero1"}};
  config::LoggerSpec jsonl, mlflow;
  jsonl.type = config::LoggerKind::Jsonl;
  mlflow.type = config::LoggerKind::Mlflow;
  auto sink = track::make_sinks({jsonl, mlflow}, info);
  sink->params(info.params);
  nlohmann::json summary = {{"status", "FINISHED"},
                            {"world_size", 2},
                            {"backend", "gloo"},
                            {"strategy", "zero1"},
                            {"run_dir", dir},
                            {"nodes", 1},
                            {"monitor", {{"energy_wh", 3.0}, {"gpu_util_mean", 50.0}}}};
  d.write("run/summary.json", summary.dump());
  double times[] = {10, 4, 6};
  for (int e = 1; e <= 3; ++e) {
    sink->log({e * 50 - 1, e, 1.7e9, true, {{"train_loss_step", 1.0}}});
    sink->log({e * 50,
               e,
               1.7e9 + e,
               false,
               {{"epoch_time_s", times[e - 1]},
                {"samples_per_s", 100.0 * e},
                {"time_forward_ms", 10.0},
                {"time_backward_ms", 20.0},
                {"time_comm_exposed_ms", 5.0}}});
  }
  sink->close("FINISHED");
  if (mlflow_run) *mlflow_run = sink->tracked_runs().at(1);
  return dir;
}

}  // namespace

TEST_CASE("mlflow: the store itwin's logger wrote reads as the run directory does", "[report]") {
  test::TempDir d;
  std::string dir = tracked_run(d);
  auto from_dir = report::load_runs({dir});
  auto from_store = report::load_runs({dir + "/mlruns"});
  REQUIRE(from_dir.runs.size() == 1);
  REQUIRE(from_store.runs.size() == 1);
  const auto& a = from_dir.runs[0];
  const auto& b = from_store.runs[0];
  CHECK_THAT(b.id, StartsWith("mlflow:"));
  CHECK(b.backend == "gloo");  // from the summary.json the logger keeps as an artifact
  CHECK(b.strategy == "zero1");
  CHECK(b.world_size == 2);
  CHECK(b.monitor["energy_wh"] == 3.0);
  REQUIRE(b.epochs.size() == a.epochs.size());
  for (size_t i = 0; i < a.epochs.size(); ++i) {
    CHECK(b.epochs[i].epoch == a.epochs[i].epoch);
    CHECK(b.epochs[i].step == a.epochs[i].step);
    CHECK(b.epochs[i].time_s == a.epochs[i].time_s);
    CHECK(b.epochs[i].samples_per_s == a.epochs[i].samples_per_s);
    CHECK(b.epochs[i].ms == a.epochs[i].ms);
  }
  auto rep = report::build_report(from_store, {});
  CHECK(rep.groups.at(0).epoch_time_s.mean == Approx(5.0));
  // Both given: the same run, once.
  CHECK(report::load_runs({dir, dir + "/mlruns"}).runs.size() == 1);
  // The experiment directory alone works too, and the run's own directory.
  CHECK(report::load_runs({dir + "/mlruns/1"}).runs.size() == 1);
  CHECK(report::load_runs({dir + "/mlruns/1/" + b.id.substr(b.id.rfind('/') + 1)}).runs.size() ==
        1);
}

TEST_CASE("mlflow: a run directory without JSON lines takes its epochs from its MLflow run",
          "[report]") {
  test::TempDir d;
  track::TrackedRun mlflow_run;
  std::string dir = tracked_run(d, &mlflow_run);
  REQUIRE(mlflow_run.kind == "mlflow");
  std::filesystem::remove(dir + "/metrics.jsonl");
  // The trainer's summary lists the run its logger made.
  auto summary = nlohmann::json::parse(itwin::read_file(dir + "/summary.json"));
  summary["tracked_runs"] = {track::tracked_run_json(mlflow_run)};
  d.write("run/summary.json", summary.dump());
  auto r = report::load_run_dir(dir);
  REQUIRE(r.epochs.size() == 3);
  CHECK(r.epochs[1].time_s == 4);
  CHECK(r.epochs[2].ms.at("comm_exposed") == 5.0);
}

TEST_CASE("mlflow: a store laid out by hand: ranks > 0, parents and failures left out",
          "[report]") {
  test::TempDir d;
  d.write("mlruns/0/meta.yaml", "experiment_id: '0'\nname: Default\n");
  d.write("mlruns/1/meta.yaml",
          "artifact_location: 'file:///x'\nexperiment_id: '1'\nname: 'study'\n");
  auto run = [&](const std::string& id, const std::string& status, const std::string& rank) {
    std::string r = "mlruns/1/" + id;
    d.write(r + "/meta.yaml", "run_id: " + id + "\nexperiment_id: '1'\nstatus: " + status + "\n");
    if (!rank.empty()) d.write(r + "/tags/itwin.rank", rank);
    d.write(r + "/tags/itwin.world_size", "4");
    d.write(r + "/params/distributed.backend", "mpi");
    d.write(r + "/params/distributed.strategy", "ddp");
    return r;
  };
  std::string a = run("aaa", "3", "0");
  d.write(a + "/metrics/epoch_time_s", "1 8 100\n2 3 200\n3 5 300\n");
  d.write(a + "/metrics/samples_per_s", "1 10 100\n2 20 200\n3 30 300\n");
  std::string b = run("bbb", "3", "1");  // rank 1 of the same job
  d.write(b + "/metrics/epoch_time_s", "1 100 100\n");
  run("ccc", "3", "");                   // a study's parent run: no epochs
  std::string f = run("ddd", "4", "0");  // failed
  d.write(f + "/metrics/epoch_time_s", "1 1 1\n");
  auto l = report::load_runs({d.path() + "/mlruns"});
  REQUIRE(l.runs.size() == 1);
  const auto& r = l.runs[0];
  CHECK(r.backend == "mpi");
  CHECK(r.world_size == 4);
  REQUIRE(r.epochs.size() == 3);
  CHECK(r.epochs[2].epoch == 3);
  CHECK(r.epochs[2].samples_per_s == 30);
  REQUIRE(l.skipped.size() == 2);
  CHECK_THAT(l.skipped[0], Contains("ccc: no epoch_time_s metric"));
  CHECK_THAT(l.skipped[1], Contains("ddd: status FAILED"));
}
