// The study plot: every trial's metric per epoch, where each one ended
// marked by how (completed, stopped, failed); drawn by gnuplot from a
// generated script and data file.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "itwin/hpo/report.hpp"
#include "itwin/util/error.hpp"
#include "itwin/util/fs.hpp"
#include "itwin/util/process.hpp"
#include "itwin/util/strings.hpp"

namespace fs = std::filesystem;

namespace itwin::hpo {
namespace {

// A gnuplot single-quoted string: only the quote itself needs doubling.
std::string gp_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

std::string point(int64_t epoch, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%lld %.9g\n", static_cast<long long>(epoch), v);
  return buf;
}

}  // namespace

std::vector<std::string> write_plots(const Study& study, const std::string& dir) {
  const auto& spec = study.spec();
  // Data: one block per trial with values, then the end points by kind.
  std::string data;
  std::vector<std::pair<int64_t, const Trial*>> blocks;
  std::string ends[3];  // completed, stopped, failed
  int64_t index = 0;
  for (const auto& t : study.state().trials) {
    std::string block;
    for (const auto& [e, v] : t.values)
      if (!std::isnan(v)) block += point(e, v);
    if (block.empty()) continue;
    data += "# trial " + std::to_string(t.id) + " " + status_name(t.status) + "\n" + block + "\n\n";
    blocks.emplace_back(index++, &t);
    double last = NAN;
    for (const auto& [e, v] : t.values)
      if (!std::isnan(v)) last = v;
    int kind = t.status == Status::kCompleted ? 0 : t.status == Status::kFailed ? 2 : 1;
    if (t.status != Status::kRunning) ends[kind] += point(t.epochs(), last);
  }
  if (blocks.empty()) return {};
  const char* end_names[3] = {"completed", "stopped", "failed"};
  const int end_points[3] = {7, 2, 6};
  std::vector<int64_t> end_index(3, -1);
  for (int k = 0; k < 3; ++k) {
    if (ends[k].empty()) continue;
    data += "# " + std::string(end_names[k]) + "\n" + ends[k] + "\n\n";
    end_index[static_cast<size_t>(k)] = index++;
  }
  const std::string abs = fs::absolute(dir).lexically_normal().string();
  const std::string dat = abs + "/plot.dat", script = abs + "/plot.gp";
  write_file_atomic(dat, data);

  std::vector<std::string> curves;
  for (const auto& [i, t] : blocks) {
    curves.push_back(gp_quote(dat) + " index " + std::to_string(i) +
                     " using 1:2 with lines lw 1.5 title " +
                     gp_quote("trial " + std::to_string(t->id)));
  }
  for (int k = 0; k < 3; ++k) {
    if (end_index[static_cast<size_t>(k)] < 0) continue;
    curves.push_back(gp_quote(dat) + " index " + std::to_string(end_index[static_cast<size_t>(k)]) +
                     " using 1:2 with points pt " + std::to_string(end_points[k]) +
                     " ps 1.6 lc rgb 'black' title " + gp_quote(end_names[k]));
  }
  std::string gp = "# itwin hpo: " + spec.metric + " per epoch of every trial of " + dir +
                   " (gnuplot plot.gp)\n";
  gp += "set title " +
        gp_quote(spec.metric + " per epoch (" + config::name_of(spec.mode) + "), study " + dir) +
        " noenhanced\n";
  gp += "set xlabel 'epoch'\nset ylabel " + gp_quote(spec.metric) + " noenhanced\n";
  int64_t most = 0;
  for (const auto& [i, t] : blocks) most = std::max(most, t->epochs());
  gp += "set grid\nset key outside right noenhanced\n";
  if (most <= 20) gp += "set xtics 1\n";
  if (blocks.size() > 24) gp += "set key off\n";
  gp += "set terminal pngcairo size 1100,650\nset output " + gp_quote(abs + "/plot.png") + "\n";
  gp += "plot " + join(curves, ", \\\n     ") + "\n";
  gp += "set terminal svg size 1100,650 dynamic\nset output " + gp_quote(abs + "/plot.svg") +
        "\nreplot\nunset output\n";
  write_file_atomic(script, gp);
  Captured c = run_capture({"gnuplot", script});
  if (c.exit_code != 0) throw RuntimeError("gnuplot failed on " + script + ": " + trim(c.err));
  return {dir + "/plot.png", dir + "/plot.svg"};
}

}  // namespace itwin::hpo
