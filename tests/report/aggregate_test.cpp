// Report numbers from run directories whose answers are known by hand (tests/report/fixture.hpp).
#include <catch2/catch.hpp>

#include "fixture.hpp"
#include "itwin/report/report.hpp"

using namespace itwin;
using Catch::Matchers::Contains;

namespace {

const report::Group& group(const report::Report& r, const std::string& series, int64_t world) {
  for (const auto& g : r.groups)
    if (g.series() == series && g.world_size == world) return g;
  FAIL("no group " << series << " " << world);
  throw;
}

bool has_line(const std::vector<std::string>& lines, const std::string& part) {
  for (const auto& l : lines)
    if (l.find(part) != std::string::npos) return true;
  return false;
}

}  // namespace

TEST_CASE("report: averages over repeats, speedup and efficiency, first epoch left out",
          "[report]") {
  test::TempDir d;
  test::write_scaling_fixture(d);
  auto rep = report::build_report(report::load_runs({d.path() + "/runs"}), {});
  CHECK(rep.runs == 6);
  REQUIRE(rep.groups.size() == 5);
  CHECK(rep.groups[0].label() == "gloo/ddp 1x1");
  CHECK(rep.groups[2].label() == "gloo/ddp 2x2");
  CHECK(rep.groups[4].label() == "mpi/zero1 1x2");

  const auto& w1 = group(rep, "gloo/ddp", 1);
  CHECK(w1.runs.size() == 2);
  CHECK(w1.epoch_time_s.mean == Approx(6.0));
  CHECK(w1.epoch_time_s.sd == Approx(std::sqrt(2.0)));
  CHECK(w1.epoch_time_s.n == 2);
  CHECK(w1.samples_per_s.mean == Approx(175.0));
  CHECK(w1.samples_per_s.sd == Approx(std::sqrt(11250.0)));
  CHECK(w1.speedup == Approx(1.0));
  CHECK(w1.efficiency_pct == Approx(100.0));

  const auto& w2 = group(rep, "gloo/ddp", 2);
  CHECK(w2.epoch_time_s.mean == Approx(4.0));
  CHECK(std::isnan(w2.epoch_time_s.sd));  // one run: no spread
  CHECK(w2.speedup == Approx(1.5));
  CHECK(w2.efficiency_pct == Approx(75.0));
  CHECK(w2.baseline_world == 1);
  CHECK(w2.samples_per_s.mean == Approx(20.0));
  CHECK(w2.samples_per_s_per_rank == Approx(10.0));

  const auto& w4 = group(rep, "gloo/ddp", 4);
  CHECK(w4.nodes == 2);
  CHECK(w4.speedup == Approx(2.4));
  CHECK(w4.efficiency_pct == Approx(60.0));

  const auto& w8 = group(rep, "gloo/ddp", 8);
  CHECK(w8.epoch_time_s.mean == Approx(2.0));  // its only epoch, kept
  CHECK(w8.speedup == Approx(3.0));
  CHECK(w8.efficiency_pct == Approx(37.5));
  CHECK(has_line(rep.notes, "one-epoch: one epoch only, so its first epoch is kept"));

  const auto& z = group(rep, "mpi/zero1", 2);  // its own series: its own baseline
  CHECK(z.speedup == Approx(1.0));
  CHECK(z.efficiency_pct == Approx(100.0));

  REQUIRE(rep.skipped.size() == 1);
  CHECK_THAT(rep.skipped[0], Contains("runs/failed: status FAILED"));
}

TEST_CASE("report: the first epoch kept on request", "[report]") {
  test::TempDir d;
  test::write_scaling_fixture(d);
  report::Options o;
  o.keep_first_epoch = true;
  auto rep = report::build_report(report::load_runs({d.path() + "/runs"}), o);
  CHECK(group(rep, "gloo/ddp", 1).epoch_time_s.mean == Approx(53.0 / 6.0));
  CHECK(group(rep, "gloo/ddp", 2).epoch_time_s.mean == Approx(5.0));
  CHECK(group(rep, "gloo/ddp", 2).speedup == Approx(53.0 / 30.0));
  CHECK(group(rep, "gloo/ddp", 4).speedup == Approx(53.0 / 6.0 / (10.0 / 3.0)));
  CHECK_FALSE(has_line(rep.notes, "one epoch only"));
}

TEST_CASE("report: time breakdown, hidden communication, utilisation and energy", "[report]") {
  test::TempDir d;
  test::write_scaling_fixture(d);
  auto rep = report::build_report(report::load_runs({d.path() + "/runs"}), {});
  const auto& w2 = group(rep, "gloo/ddp", 2);
  CHECK(w2.compute_pct.mean == Approx(65.0));
  CHECK(w2.comm_exposed_pct.mean == Approx(7.5));
  CHECK(w2.data_pct.mean == Approx(10.0));
  CHECK(w2.other_pct.mean == Approx(17.5));
  CHECK(w2.comm_hidden_pct.mean == Approx(75.0));
  CHECK(w2.gpu_util_pct.mean == Approx(80.0));
  CHECK(w2.gpu_util_peak_pct == Approx(99.0));
  CHECK(w2.cpu_util_pct.mean == Approx(40.0));
  CHECK(w2.energy_wh.mean == Approx(2.0));
  CHECK(w2.wh_per_1k_samples.mean == Approx(2.0 / 230.0 * 1000.0));
  CHECK(w2.co2e_g.mean == Approx(0.95));
  // Runs without those records: unknown, not zero.
  const auto& w1 = group(rep, "gloo/ddp", 1);
  CHECK(std::isnan(w1.compute_pct.mean));
  CHECK(std::isnan(w1.energy_wh.mean));
  CHECK(w1.energy_wh.n == 0);
}

TEST_CASE("report: the breakdown from summary.json's profile when epochs lack it", "[report]") {
  test::TempDir d;
  test::RunSpec s{"nccl", "ddp", 4, 1, {{10, 100, 100}, {10, 100, 200}}};
  // 2 epochs of 100 steps in 20 s: 100 ms per step; 20 data + 50 compute + 10 exposed + 5
  // checkpoint.
  s.extra = {{"train_seconds", 20.0},
             {"profile",
              {{"steps", 200},
               {"ms_per_step",
                {{"data", 20},
                 {"forward", 20},
                 {"backward", 25},
                 {"optimizer", 5},
                 {"comm", 40},
                 {"comm_exposed", 10},
                 {"checkpoint", 5},
                 {"logging", 1}}}}}};
  test::write_run(d, "r", s);
  auto rep = report::build_report(report::load_runs({d.path() + "/r"}), {});
  REQUIRE(rep.groups.size() == 1);
  const auto& g = rep.groups[0];
  CHECK(g.compute_pct.mean == Approx(50.0));
  CHECK(g.comm_exposed_pct.mean == Approx(10.0));
  CHECK(g.data_pct.mean == Approx(20.0));
  CHECK(g.other_pct.mean == Approx(20.0));  // checkpoint, logging and the rest
  CHECK(g.comm_hidden_pct.mean == Approx(75.0));
  CHECK(has_line(rep.notes, "time breakdown from summary.json's profile"));
}

TEST_CASE("report: a run without per-epoch records uses train_seconds / epochs", "[report]") {
  test::TempDir d;
  test::write_run(
      d, "r",
      {"gloo", "ddp", 2, 1, {}, {{"train_seconds", 30.0}, {"epochs", 3}, {"samples_per_s", 50.0}}});
  auto rep = report::build_report(report::load_runs({d.path() + "/r"}), {});
  REQUIRE(rep.groups.size() == 1);
  CHECK(rep.groups[0].epoch_time_s.mean == Approx(10.0));
  CHECK(rep.groups[0].samples_per_s.mean == Approx(50.0));
  CHECK(has_line(rep.notes, "no per-epoch records"));
}

TEST_CASE("report: one rank on the local backend is the baseline of its strategy", "[report]") {
  // `backend: auto` runs one rank on `local` and two on gloo: --scaling 1,2 must compare them.
  test::TempDir d;
  test::write_run(d, "r1", {"local", "ddp", 1, 1, {{20, 1, 1}, {10, 1, 2}}});
  test::write_run(d, "r2", {"gloo", "ddp", 2, 1, {{9, 1, 1}, {6, 1, 2}}});
  test::write_run(d, "r3", {"gloo", "zero1", 2, 1, {{9, 1, 1}, {5, 1, 2}}});
  auto rep = report::build_report(report::load_runs({d.path()}), {});
  const auto& g = group(rep, "gloo/ddp", 2);
  CHECK(g.baseline == "local/ddp 1x1");
  CHECK(g.baseline_world == 1);
  CHECK(g.speedup == Approx(10.0 / 6.0));
  CHECK(g.efficiency_pct == Approx(100.0 * 10.0 / 12.0));
  const auto& z = group(rep, "gloo/zero1", 2);  // another strategy: its own baseline
  CHECK(z.baseline == "gloo/zero1 1x2");
  CHECK(z.speedup == Approx(1.0));
  CHECK(group(rep, "local/ddp", 1).speedup == Approx(1.0));
}
