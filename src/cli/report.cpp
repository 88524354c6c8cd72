// itwin report: the scalability report of runs on disk (tables, plots, one HTML page).
#include "itwin/report/report.hpp"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>

#include "itwin/report/format.hpp"
#include "itwin/report/plots.hpp"
#include "itwin/report/runs.hpp"
#include "itwin/util/error.hpp"
#include "itwin/util/fs.hpp"
#include "itwin/util/process.hpp"
#include "itwin/util/strings.hpp"
#include "setups.hpp"

namespace fs = std::filesystem;

namespace itwin::cli {
namespace {

struct ReportOptions {
  std::vector<std::string> paths;
  std::string out;
  std::string format = "table";
  bool json = false;
  bool keep_first_epoch = false;
  bool no_plots = false;
};

report::Format format_of(const std::string& name) {
  for (const auto& f : report::format_names())
    if (name == f.name) return f.format;
  throw UsageError("unknown report format '" + name +
                   "'");  // CLI11's check names the choices first
}

// Plots into DIR/plots; a missing gnuplot costs the plots, with a warning, not the report.
std::vector<report::Plot> plots(const report::Report& rep, const ReportOptions& o,
                                std::string* note) {
  if (o.no_plots) {
    *note = "plots not drawn (--no-plots)";
    return {};
  }
  if (!program_on_path("gnuplot")) {
    *note = "no plots: gnuplot is not installed (Debian: apt-get install gnuplot-nox)";
    std::fprintf(stderr, "itwin: warning: %s\n", note->c_str());
    return {};
  }
  auto drawn = report::draw_plots(rep, o.out + "/plots");
  if (drawn.empty()) *note = "no plots: no run has the numbers they need";
  return drawn;
}

int run_report(const ReportOptions& o) {
  std::string format = o.json ? "json" : o.format;
  report::Format f = format_of(format);
  if (f == report::Format::Html && o.out.empty()) {
    throw UsageError("--format html needs --out DIR (the page shows the plots drawn there)");
  }
  report::Loaded loaded = report::load_runs(o.paths);
  if (loaded.runs.empty()) {
    std::string why = loaded.skipped.empty() ? "" : "; skipped:\n  " + join(loaded.skipped, "\n  ");
    throw UsageError("no finished runs under " + join(o.paths, ", ") + why);
  }
  report::Options opts;
  opts.keep_first_epoch = o.keep_first_epoch;
  report::Report rep = report::build_report(loaded, opts);
  if (o.out.empty()) {
    std::cout << report::render(rep, f);
    return 0;
  }
  fs::create_directories(o.out);
  std::string note;
  auto drawn = plots(rep, o, &note);
  // Each file whole or not at all; the page last, once what it shows exists.
  write_file_atomic(o.out + "/report.txt", report::render(rep, report::Format::Table));
  write_file_atomic(o.out + "/report.md", report::render(rep, report::Format::Markdown));
  write_file_atomic(o.out + "/report.csv", report::render(rep, report::Format::Csv));
  write_file_atomic(o.out + "/report.json", report::render(rep, report::Format::Json));
  write_file_atomic(o.out + "/report.html", report::render(rep, report::Format::Html, drawn, note));
  if (f != report::Format::Html) std::cout << report::render(rep, f);
  std::fprintf(stderr,
               "itwin: report written to %s/report.html (%zu plots, PNG and SVG in %s/plots)\n",
               o.out.c_str(), drawn.size(), o.out.c_str());
  return 0;
}

}  // namespace

Runner setup_report(CLI::App& app, const Invocation&) {
  auto o = std::make_shared<ReportOptions>();
  auto* cmd = &app;
  cmd->add_option("paths", o->paths,
                  "run directories, scaling studies (scaling.json), HPO studies, run trees, "
                  "MLflow file stores or experiments")
      ->required();
  std::vector<std::string> names;
  for (const auto& f : report::format_names()) names.push_back(f.name);
  cmd->add_option("--out", o->out,
                  "write report.{txt,md,csv,json,html} and plots/*.{png,svg} into DIR");
  cmd->add_option("--format", o->format, "what to print: " + join(names, ", ") + " (default table)")
      ->check(CLI::IsMember(names));
  cmd->add_flag("--json", o->json, "print JSON (same as --format json)");
  cmd->add_flag("--keep-first-epoch", o->keep_first_epoch,
                "count the first (warm-up) epoch in the times; left out by default");
  cmd->add_flag("--no-plots", o->no_plots, "with --out: do not run gnuplot");
  return [o] { return run_report(*o); };
}

}  // namespace itwin::cli
