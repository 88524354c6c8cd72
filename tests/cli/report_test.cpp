// `itwin report` end to end: the built binary on fixture run directories,
// gnuplot for the plots, and the page checked in headless Chromium.
#include <zlib.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <filesystem>

#include "../helpers.hpp"
#include "../report/fixture.hpp"
#include "itwin/util/fs.hpp"

using namespace itwin::test;
using Catch::Matchers::Contains;
using itwin::read_file;
namespace fs = std::filesystem;

namespace {

std::string report_cmd(const std::string& args) { return itwin_bin() + " report " + args; }

bool have(const std::string& program) { return run_shell("command -v " + program).exit_code == 0; }

// The pixels of an 8-bit RGB or RGBA, non-interlaced PNG (what Chromium's
// screenshots are): enough to ask what the browser drew.
struct Image {
  int width = 0, height = 0;
  std::vector<unsigned char> rgb;  // width * height * 3
};

Image decode_png(const std::string& png) {
  auto be32 = [&](size_t at) {
    return (uint32_t(uint8_t(png[at])) << 24) | (uint32_t(uint8_t(png[at + 1])) << 16) |
           (uint32_t(uint8_t(png[at + 2])) << 8) | uint32_t(uint8_t(png[at + 3]));
  };
  Image img;
  std::string idat;
  int channels = 0;
  for (size_t at = 8; at + 8 <= png.size();) {
    uint32_t len = be32(at);
    std::string type = png.substr(at + 4, 4);
    if (type == "IHDR") {
      img.width = int(be32(at + 8));
      img.height = int(be32(at + 12));
      REQUIRE(uint8_t(png[at + 16]) == 8);  // bit depth
      channels = uint8_t(png[at + 17]) == 6 ? 4 : 3;
      REQUIRE(uint8_t(png[at + 28]) == 0);  // not interlaced
    }
    if (type == "IDAT") idat += png.substr(at + 8, len);
    at += 12 + len;
  }
  size_t stride = size_t(img.width) * channels;
  std::vector<unsigned char> raw((stride + 1) * img.height);
  uLongf raw_len = raw.size();
  REQUIRE(uncompress(raw.data(), &raw_len, reinterpret_cast<const Bytef*>(idat.data()),
                     idat.size()) == Z_OK);
  std::vector<unsigned char> prev(stride, 0), cur(stride);
  img.rgb.reserve(size_t(img.width) * img.height * 3);
  for (int y = 0; y < img.height; ++y) {
    const unsigned char* row = &raw[y * (stride + 1)];
    for (size_t i = 0; i < stride; ++i) {
      int a = i >= size_t(channels) ? cur[i - channels] : 0, b = prev[i],
          c = i >= size_t(channels) ? prev[i - channels] : 0;
      int p = a + b - c, pa = std::abs(p - a), pb = std::abs(p - b), pc = std::abs(p - c);
      int pred[] = {0, a, b, (a + b) / 2, pa <= pb && pa <= pc ? a : pb <= pc ? b : c};
      cur[i] = static_cast<unsigned char>(row[1 + i] + pred[row[0]]);
    }
    for (int x = 0; x < img.width; ++x)
      for (int k = 0; k < 3; ++k) img.rgb.push_back(cur[size_t(x) * channels + k]);
    prev = cur;
  }
  return img;
}

// Pixels in strong colour: the plots' lines, bars and links (the tables are grey and pale blue).
int64_t coloured_pixels(const Image& img) {
  int64_t n = 0;
  for (size_t i = 0; i + 2 < img.rgb.size(); i += 3) {
    int hi = std::max({img.rgb[i], img.rgb[i + 1], img.rgb[i + 2]});
    int lo = std::min({img.rgb[i], img.rgb[i + 1], img.rgb[i + 2]});
    n += hi - lo > 80;
  }
  return n;
}

std::string screenshot(const std::string& html, const std::string& png) {
  return "chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run "
         "--disable-background-networking --disable-component-update --disable-sync "
         "--user-data-dir=\"$(mktemp -d)\" --hide-scrollbars --window-size=1200,3000 "
         "--screenshot='" +
         png + "' 'file://" + html + "'";
}

}  // namespace

TEST_CASE("report cli: tables from run directories", "[cli][report]") {
  TempDir d;
  write_scaling_fixture(d);
  auto r = run_shell(report_cmd(d.path() + "/runs"));
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Contains("6 runs in 5 configurations"));
  CHECK_THAT(
      r.out,
      Contains("gloo     ddp           1      1     2     6.00 ± 1.41     1.00           100.0"));
  CHECK_THAT(r.out, Contains("skipped: " + d.path() + "/runs/failed: status FAILED"));
  auto keep = run_shell(report_cmd(d.path() + "/runs --keep-first-epoch --format csv"));
  REQUIRE(keep.exit_code == 0);
  CHECK_THAT(keep.out, Contains("\ngloo,ddp,1,2,1,5,,1.766666667,"));
  auto json = run_shell(report_cmd(d.path() + "/runs --json 2>/dev/null"));
  REQUIRE(json.exit_code == 0);
  auto j = nlohmann::json::parse(json.out);
  CHECK(j["groups"][3]["efficiency_pct"] == 37.5);
  CHECK_THAT(run_shell(report_cmd(d.path() + "/runs --format md")).out,
             Contains("## Time per step (%)"));
}

TEST_CASE("report cli: bad input exits 2 with a clear message", "[cli][report]") {
  TempDir d;
  auto missing = run_shell(report_cmd(d.path() + "/nope"));
  CHECK(missing.exit_code == 2);
  CHECK_THAT(missing.out,
             Contains("itwin: error: '" + d.path() + "/nope': no such file or directory"));
  d.write("empty/README", "no runs here\n");
  d.write("empty/bad/summary.json", "{");
  auto empty = run_shell(report_cmd(d.path() + "/empty"));
  CHECK(empty.exit_code == 2);
  CHECK_THAT(empty.out, Contains("no finished runs under " + d.path() + "/empty; skipped:"));
  CHECK_THAT(empty.out, Contains("bad: summary.json is not valid JSON"));
  CHECK_THAT(empty.out, !Contains("terminate"));
  auto html = run_shell(report_cmd(d.path() + " --format html"));
  CHECK(html.exit_code == 2);
  CHECK_THAT(html.out, Contains("--format html needs --out DIR"));
  auto fmt = run_shell(report_cmd(d.path() + " --format xml"));
  CHECK(fmt.exit_code == 2);
  CHECK_THAT(fmt.out, Contains("xml"));
  CHECK(run_shell(report_cmd("")).exit_code == 2);
}

TEST_CASE("report cli: --out writes every form, gnuplot's plots and the page", "[cli][report]") {
  TempDir d;
  write_scaling_fixture(d);
  std::string out = d.path() + "/report";
  auto r = run_shell(report_cmd(d.path() + "/runs --out " + out + " --format csv"));
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Contains("backend,strategy,nodes,ranks,runs"));
  for (const char* f : {"report.txt", "report.md", "report.csv", "report.json", "report.html"}) {
    CHECK(fs::file_size(out + "/" + f) > 100);
  }
  if (!have("gnuplot")) {
    WARN("skipped the plot checks: gnuplot is not installed (Debian: apt-get install gnuplot-nox)");
    return;
  }
  CHECK_THAT(r.out, Contains("report written to " + out + "/report.html (7 plots"));
  for (const char* p : {"epoch_time", "speedup", "efficiency", "throughput", "breakdown", "energy",
                        "utilisation"}) {
    CHECK(fs::file_size(out + "/plots/" + std::string(p) + ".png") > 1000);
    CHECK_THAT(read_file(out + "/plots/" + std::string(p) + ".svg"), Contains("<svg"));
  }
  std::string html = read_file(out + "/report.html");
  CHECK_THAT(html, Contains("<img src=\"plots/epoch_time.svg\""));
  CHECK_THAT(html, Contains("<td class=\"n\">6.00 ± 1.41</td>"));

  // Without gnuplot the tables still come, and the page says why it has no plots.
  std::string bare = d.path() + "/bare";
  auto nog = run_shell("PATH=/nonexistent " + report_cmd(d.path() + "/runs --out " + bare));
  CHECK(nog.exit_code == 0);
  CHECK_THAT(nog.out, Contains("itwin: warning: no plots: gnuplot is not installed"));
  CHECK_THAT(read_file(bare + "/report.html"), Contains("no plots: gnuplot is not installed"));
  CHECK_FALSE(fs::exists(bare + "/plots"));

  // The page in a real browser, with and without its plots.
  if (!have("chromium")) {
    WARN(
        "skipped the browser check: chromium is not installed (apt-get install "
        "--no-install-recommends chromium)");
    return;
  }
  auto shot = run_shell(screenshot(out + "/report.html", d.path() + "/page.png"), 120);
  INFO(shot.out);
  REQUIRE(fs::exists(d.path() + "/page.png"));
  auto shot_bare = run_shell(screenshot(bare + "/report.html", d.path() + "/bare.png"), 120);
  REQUIRE(fs::exists(d.path() + "/bare.png"));
  std::string page = read_file(d.path() + "/page.png");
  REQUIRE(page.substr(0, 8) == "\x89PNG\r\n\x1a\n");
  Image with = decode_png(page), without = decode_png(read_file(d.path() + "/bare.png"));
  CHECK(with.width == 1200);
  CHECK(with.height == 3000);
  // The browser drew the plots: thousands of coloured pixels, where the page without them has next
  // to none.
  CHECK(coloured_pixels(with) > 5000);
  CHECK(coloured_pixels(without) < 500);
}
