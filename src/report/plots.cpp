// gnuplot scripts and data files for the report's plots.
#include "itwin/report/plots.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <tuple>

#include "itwin/util/error.hpp"
#include "itwin/util/fs.hpp"
#include "itwin/util/process.hpp"
#include "itwin/util/strings.hpp"

namespace fs = std::filesystem;

namespace itwin::report {
namespace {

using Get = std::function<double(const Group&)>;

bool finite(double v) { return std::isfinite(v); }

// A label as a quoted data-file field. Data files are never evaluated; a
// double quote would only end the field early, so it becomes a single one.
std::string field(std::string s) {
  std::replace(s.begin(), s.end(), '"', '\'');
  std::replace(s.begin(), s.end(), '\n', ' ');
  return "\"" + s + "\"";
}

std::string number(double v) {
  if (!finite(v)) return "?";  // `set datafile missing '?'`
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

// The groups that have `get`, per backend/strategy series, in world order.
std::vector<std::vector<const Group*>> series_of(const Report& r, const Get& get) {
  std::vector<std::vector<const Group*>> out;
  for (const auto& g : r.groups) {
    if (!finite(get(g))) continue;
    auto it = std::find_if(out.begin(), out.end(),
                           [&](const auto& s) { return s[0]->series() == g.series(); });
    if (it == out.end()) {
      out.push_back({&g});
    } else {
      it->push_back(&g);
    }
  }
  for (auto& s : out) {
    std::stable_sort(s.begin(), s.end(), [](const Group* a, const Group* b) {
      return std::tie(a->world_size, a->nodes) < std::tie(b->world_size, b->nodes);
    });
  }
  return out;
}

// One block per series (gnuplot's `index`): header, then ranks, value, ideal.
std::string series_data(const std::vector<std::vector<const Group*>>& series, const Get& get,
                        const Get& ideal) {
  std::string d;
  for (const auto& s : series) {
    const std::string name = s.front()->series();
    d += field("ranks") + " " + field(name) + " " + field("ideal " + name) + "\n";
    for (const Group* g : s) {
      d += std::to_string(g->world_size) + " " + number(get(*g)) + " " + number(ideal(*g)) + "\n";
    }
    d += "\n\n";
  }
  return d;
}

// One row per configuration: label, then the columns.
std::string rows_data(const Report& r, const std::vector<std::string>& heads,
                      const std::vector<Get>& cols) {
  std::string d = field("configuration");
  for (const auto& h : heads) d += " " + field(h);
  d += "\n";
  for (const auto& g : r.groups) {
    bool any = false;
    for (const auto& c : cols) any = any || finite(c(g));
    if (!any) continue;
    d += field(g.label());
    for (const auto& c : cols) d += " " + number(c(g));
    d += "\n";
  }
  return d;
}

// The plot commands in `body`, drawn as NAME.png and again as NAME.svg.
std::string both_terminals(const std::string& name, const std::string& body) {
  return "reset\n"
         "set datafile missing '?'\n"
         "set grid\n"
         "set key outside right top\n"
         "set terminal pngcairo size 960,540 font 'sans,11'\n"
         "set output '" +
         name + ".png'\n" + body +
         "set terminal svg size 960,540 dynamic font 'sans,11' background rgb 'white'\n"
         "set output '" +
         name +
         ".svg'\n"
         "replot\n"
         "unset output\n";
}

std::string line_plot(const std::string& file, size_t n, bool ideal,
                      const std::string& extra = "") {
  std::string k = std::to_string(n - 1);
  std::string p = "plot for [i=0:" + k + "] '" + file +
                  "' index i using 1:2 with linespoints lw 2 pt 7 lc i+1 title columnheader(2)";
  if (ideal) {
    p += ", for [i=0:" + k + "] '" + file +
         "' index i using 1:3 with lines dt 2 lc i+1 title columnheader(3)";
  }
  return p + extra + "\n";
}

const char* kWorkersAxis =
    "set xlabel 'ranks'\n"
    "set offsets graph 0.05, graph 0.05, graph 0.1, graph 0.1\n";

}  // namespace

PlotScript plot_script(const Report& r) {
  PlotScript out;
  out.script =
      "# Written by itwin report. Run: gnuplot -c report.gp DIR (DIR holds the .dat files)\n"
      "cd ARG1\nset encoding utf8\n";
  auto add = [&](const std::string& name, const std::string& title, const std::string& data,
                 const std::string& body) {
    out.data[name + ".dat"] = data;
    out.script +=
        "\n# " + title + "\n" + both_terminals(name, "set title '" + title + "'\n" + body);
    out.plots.push_back({name, title});
  };
  // Ideal scaling from each configuration's own baseline (report.hpp).
  auto ratio = [](const Group& g) {
    return static_cast<double>(g.world_size) / static_cast<double>(g.baseline_world);
  };

  Get time = [](const Group& g) { return g.epoch_time_s.mean; };
  if (auto s = series_of(r, time); !s.empty()) {
    add("epoch_time", "Epoch time against ranks",
        series_data(s, time, [&](const Group& g) { return g.baseline_epoch_time_s / ratio(g); }),
        std::string(kWorkersAxis) + "set logscale xy 2\nset ylabel 'epoch time (s)'\n" +
            line_plot("epoch_time.dat", s.size(), true));
  }
  Get speedup = [](const Group& g) { return g.speedup; };
  if (auto s = series_of(r, speedup); !s.empty()) {
    add("speedup", "Speedup against the smallest world", series_data(s, speedup, ratio),
        std::string(kWorkersAxis) + "set logscale xy 2\nset ylabel 'speedup'\n" +
            line_plot("speedup.dat", s.size(), true));
  }
  Get eff = [](const Group& g) { return g.efficiency_pct; };
  if (auto s = series_of(r, eff); !s.empty()) {
    add("efficiency", "Parallel efficiency",
        series_data(s, eff, [](const Group&) { return 100.0; }),
        std::string(kWorkersAxis) +
            "set logscale x 2\nset yrange [0:*]\nset ylabel 'efficiency (%)'\n" +
            line_plot("efficiency.dat", s.size(), false,
                      ", 100 with lines dt 2 lc 'gray40' title 'ideal'"));
  }
  Get thr = [](const Group& g) { return g.samples_per_s.mean; };
  if (auto s = series_of(r, thr); !s.empty()) {
    add("throughput", "Throughput against ranks",
        series_data(s, thr, [&](const Group& g) { return g.baseline_samples_per_s * ratio(g); }),
        std::string(kWorkersAxis) + "set logscale xy 2\nset ylabel 'samples/s (all ranks)'\n" +
            line_plot("throughput.dat", s.size(), true));
  }
  const char* bars =
      "set style data histograms\nset style fill solid 0.85 border -1\nset boxwidth 0.75\n"
      "set xtics rotate by -25 nomirror\nset yrange [0:*]\n";
  std::vector<Get> parts = {[](const Group& g) { return g.compute_pct.mean; },
                            [](const Group& g) { return g.comm_exposed_pct.mean; },
                            [](const Group& g) { return g.data_pct.mean; },
                            [](const Group& g) { return g.other_pct.mean; }};
  bool any_breakdown = std::any_of(r.groups.begin(), r.groups.end(),
                                   [](const Group& g) { return finite(g.compute_pct.mean); });
  if (any_breakdown) {
    add("breakdown", "Time per step",
        rows_data(r, {"compute", "exposed communication", "data", "other"}, parts),
        std::string(bars) +
            "set style histogram rowstacked\nset yrange [0:100]\nset ylabel 'share of step time "
            "(%)'\n"
            "plot 'breakdown.dat' using 2:xtic(1) title columnheader(2), '' using 3 title "
            "columnheader(3), "
            "'' using 4 title columnheader(4), '' using 5 title columnheader(5)\n");
  }
  Get energy = [](const Group& g) { return g.energy_wh.mean; };
  if (std::any_of(r.groups.begin(), r.groups.end(),
                  [&](const Group& g) { return finite(energy(g)); })) {
    add("energy", "Energy per run", rows_data(r, {"energy (Wh)"}, {energy}),
        std::string(bars) +
            "set style histogram clustered\nset ylabel 'Wh (GPUs + CPU packages)'\n"
            "plot 'energy.dat' using 2:xtic(1) title columnheader(2)\n");
  }
  std::vector<Get> util = {[](const Group& g) { return g.gpu_util_pct.mean; },
                           [](const Group& g) { return g.cpu_util_pct.mean; }};
  if (std::any_of(r.groups.begin(), r.groups.end(),
                  [&](const Group& g) { return finite(util[0](g)) || finite(util[1](g)); })) {
    add("utilisation", "Mean utilisation", rows_data(r, {"GPU", "CPU"}, util),
        std::string(bars) +
            "set style histogram clustered\nset yrange [0:100]\nset ylabel 'utilisation (%)'\n"
            "plot 'utilisation.dat' using 2:xtic(1) title columnheader(2), '' using 3 title "
            "columnheader(3)\n");
  }
  return out;
}

std::vector<Plot> draw_plots(const Report& r, const std::string& dir, const std::string& gnuplot) {
  PlotScript ps = plot_script(r);
  if (ps.plots.empty()) return {};
  fs::create_directories(dir);
  for (const auto& [name, text] : ps.data) write_file_atomic(dir + "/" + name, text);
  write_file_atomic(dir + "/report.gp", ps.script);
  Captured c = run_capture({gnuplot, "-c", dir + "/report.gp", dir});
  if (c.exit_code != 0) {
    throw RuntimeError(gnuplot + " failed (exit " + std::to_string(c.exit_code) + ") on " + dir +
                       "/report.gp: " + trim(c.err));
  }
  return ps.plots;
}

}  // namespace itwin::report
