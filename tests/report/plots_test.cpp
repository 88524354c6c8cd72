// gnuplot scripts from the report, and the real gnuplot drawing them.
#include "itwin/report/plots.hpp"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "fixture.hpp"
#include "itwin/util/error.hpp"
#include "itwin/util/fs.hpp"

using namespace itwin;
using Catch::Matchers::Contains;

namespace {

report::Report fixture_report(const test::TempDir& d) {
  test::write_scaling_fixture(d);
  return report::build_report(report::load_runs({d.path() + "/runs"}), {});
}

std::vector<std::string> names(const std::vector<report::Plot>& plots) {
  std::vector<std::string> v;
  for (const auto& p : plots) v.push_back(p.name);
  return v;
}

}  // namespace

TEST_CASE("plots: the script and its data, from the report's numbers", "[report]") {
  test::TempDir d;
  auto ps = report::plot_script(fixture_report(d));
  CHECK(names(ps.plots) == std::vector<std::string>{"epoch_time", "speedup", "efficiency",
                                                    "throughput", "breakdown", "energy",
                                                    "utilisation"});
  // One block per series: ranks, value, ideal (the baseline scaled by ranks).
  CHECK_THAT(
      ps.data.at("epoch_time.dat"),
      Contains(
          "\"ranks\" \"gloo/ddp\" \"ideal gloo/ddp\"\n1 6 6\n2 4 3\n4 2.5 1.5\n8 2 0.75\n\n\n"));
  CHECK_THAT(ps.data.at("speedup.dat"), Contains("\n2 1.5 2\n4 2.4 4\n"));
  CHECK_THAT(ps.data.at("efficiency.dat"), Contains("\n4 60 100\n"));
  CHECK_THAT(ps.data.at("breakdown.dat"), Contains("\"gloo/ddp 1x2\" 65 7.5 10 17.5\n"));
  CHECK_THAT(ps.data.at("energy.dat"), Contains("\"gloo/ddp 1x2\" 2\n"));
  CHECK_THAT(ps.script, Contains("set terminal pngcairo"));
  CHECK_THAT(ps.script, Contains("set output 'speedup.svg'"));
  CHECK_THAT(ps.script, Contains("set logscale xy 2"));
}

TEST_CASE("plots: run names stay in the data files, never in the script", "[report]") {
  test::TempDir d;
  test::write_run(d, "r",
                  {"x'`touch /tmp/pwned`\"; system('id')", "ddp", 1, 1, {{1, 1, 1}, {1, 1, 2}}});
  auto ps = report::plot_script(report::build_report(report::load_runs({d.path() + "/r"}), {}));
  CHECK_THAT(ps.script, !Contains("touch"));
  CHECK_THAT(ps.script, !Contains("system"));
  CHECK_THAT(ps.data.at("epoch_time.dat"), Contains("\"x'`touch /tmp/pwned`'; system('id')/ddp\""));
}

TEST_CASE("plots: nothing to plot without numbers", "[report]") {
  report::Report empty;
  CHECK(report::plot_script(empty).plots.empty());
  test::TempDir d;
  CHECK(report::draw_plots(empty, d.path() + "/plots").empty());
}

TEST_CASE("plots: gnuplot draws every plot as PNG and SVG", "[report]") {
  test::TempDir d;
  auto rep = fixture_report(d);
  std::string dir = d.path() + "/out dir 'quoted'/plots";  // a path gnuplot must not parse
  std::vector<report::Plot> drawn;
  try {
    drawn = report::draw_plots(rep, dir);
  } catch (const RuntimeError& e) {
    if (std::string(e.what()).find("is it installed") == std::string::npos) throw;
    WARN("skipped: gnuplot is not installed (Debian: apt-get install gnuplot-nox)");
    return;
  }
  REQUIRE(drawn.size() == 7);
  for (const auto& p : drawn) {
    std::string png = read_file(dir + "/" + p.name + ".png");
    CHECK(png.size() > 1000);
    CHECK(png.substr(0, 8) == "\x89PNG\r\n\x1a\n");
    std::string svg = read_file(dir + "/" + p.name + ".svg");
    CHECK_THAT(svg, Contains("<svg"));
    CHECK_THAT(svg, Contains("</svg>"));
  }
  CHECK_THAT(read_file(dir + "/speedup.svg"),
             Contains("gloo/ddp"));  // the legend, from the data file
  CHECK_THROWS_WITH(report::draw_plots(rep, dir, "/nonexistent/gnuplot"),
                    Contains("is it installed"));
}
