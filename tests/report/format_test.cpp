// The report's text forms: aligned table, Markdown, CSV, JSON, HTML.
#include "itwin/report/format.hpp"

#include <catch2/catch.hpp>

#include "fixture.hpp"

using namespace itwin;
using Catch::Matchers::Contains;

namespace {

report::Report fixture_report(const test::TempDir& d) {
  test::write_scaling_fixture(d);
  return report::build_report(report::load_runs({d.path() + "/runs"}), {});
}

}  // namespace

TEST_CASE("format: the aligned table", "[report]") {
  test::TempDir d;
  std::string t = report::render(fixture_report(d), report::Format::Table);
  CHECK_THAT(
      t,
      Contains("6 runs in 5 configurations; first epoch left out (--keep-first-epoch keeps it)"));
  CHECK_THAT(
      t,
      Contains("backend  strategy  nodes  ranks  runs  epoch time (s)  speedup  efficiency (%)"));
  CHECK_THAT(
      t,
      Contains("gloo     ddp           1      1     2     6.00 ± 1.41     1.00           100.0"));
  CHECK_THAT(
      t,
      Contains("gloo     ddp           1      2     1            4.00     1.50            75.0"));
  CHECK_THAT(t, Contains("gloo/ddp 1x2      65.0           7.5  10.0   17.5         75.0"));
  CHECK_THAT(t, Contains("note: "));
  CHECK_THAT(t, Contains("skipped: "));
}

TEST_CASE("format: Markdown tables", "[report]") {
  test::TempDir d;
  std::string md = report::render(fixture_report(d), report::Format::Markdown);
  CHECK_THAT(
      md, Contains("## Scaling\n\n| backend | strategy | nodes | ranks | runs | epoch time (s) |"));
  CHECK_THAT(md, Contains("| --- | ---: | ---: |"));
  CHECK_THAT(md, Contains("| gloo | ddp | 2 | 4 | 1 | 2.50 | 2.40 | 60.0 | 80.00 | 20.00 |"));
  CHECK_THAT(md, Contains("## Skipped\n\n- "));
}

TEST_CASE("format: CSV has one row per configuration and empty unknowns", "[report]") {
  test::TempDir d;
  std::string csv = report::render(fixture_report(d), report::Format::Csv);
  CHECK_THAT(csv, Contains("backend,strategy,nodes,ranks,runs,epoch_time_s,epoch_time_s_sd,speedup,"
                           "efficiency_pct,"));
  CHECK_THAT(
      csv,
      Contains(
          "\ngloo,ddp,1,2,1,4,,1.5,75,20,,10,65,7.5,10,17.5,75,80,99,40,2,,8.695652174,0.95\n"));
  CHECK_THAT(csv,
             Contains("\ngloo,ddp,1,1,2,6,1.414213562,1,100,175,106.0660172,175,,,,,,,,,,,,\n"));
}

TEST_CASE("format: JSON with nulls for unknowns", "[report]") {
  test::TempDir d;
  auto j = nlohmann::json::parse(report::render(fixture_report(d), report::Format::Json));
  CHECK(j["runs"] == 6);
  CHECK(j["keep_first_epoch"] == false);
  REQUIRE(j["groups"].size() == 5);
  CHECK(j["groups"][1]["label"] == "gloo/ddp 1x2");
  CHECK(j["groups"][1]["speedup"] == 1.5);
  CHECK(j["groups"][1]["baseline_ranks"] == 1);
  CHECK(j["groups"][0]["energy_wh"].is_null());
  CHECK(j["groups"][0]["runs"].size() == 2);
  CHECK(j["skipped"].size() == 1);
}

TEST_CASE("format: HTML escapes what runs call themselves", "[report]") {
  test::TempDir d;
  test::write_run(d, "r", {"<script>alert(1)</script>", "a&b", 1, 1, {{1, 1, 1}, {1, 1, 2}}});
  auto rep = report::build_report(report::load_runs({d.path() + "/r"}), {});
  std::string html = report::render(rep, report::Format::Html, {{"speedup", "Speedup"}}, "");
  CHECK_THAT(html, Contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
  CHECK_THAT(html, !Contains("<script>"));
  CHECK_THAT(html, Contains("a&amp;b"));
  CHECK_THAT(html, Contains("<img src=\"plots/speedup.svg\" alt=\"Speedup\">"));
  std::string none =
      report::render(rep, report::Format::Html, {}, "no plots: gnuplot is not installed");
  CHECK_THAT(none, Contains("<p>no plots: gnuplot is not installed</p>"));
}
