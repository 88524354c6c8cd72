#pragma once
/// The report's plots, drawn by gnuplot (Debian's gnuplot-nox) from a script
/// and data files that itwin writes: epoch time and throughput against
/// workers (log-log, with the ideal line), speedup with the ideal line,
/// parallel efficiency, the stacked time breakdown, energy and utilisation
/// per configuration. Each plot is a PNG and an SVG.

#include <map>
#include <string>
#include <vector>

#include "itwin/report/report.hpp"

namespace itwin::report {

/// A drawn plot: plots/<name>.png and plots/<name>.svg.
struct Plot {
  std::string name;
  std::string title;
};

/// Everything gnuplot needs, made without touching the disk.
struct PlotScript {
  std::string script;                       ///< run with the plot directory as working directory
  std::map<std::string, std::string> data;  ///< data file name -> contents
  std::vector<Plot> plots;  ///< what the script draws (plots without data are left out)
};

/// The script and data for `r`. Labels reach gnuplot only inside data files
/// (never as script text), so a backend name cannot inject gnuplot commands.
PlotScript plot_script(const Report& r);

/// Writes plot_script(r) into `dir` and runs `gnuplot` there (no shell).
/// Throws RuntimeError naming gnuplot's message when it is missing or fails.
std::vector<Plot> draw_plots(const Report& r, const std::string& dir,
                             const std::string& gnuplot = "gnuplot");

}  // namespace itwin::report
