#include "itwin/hpo/table.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "itwin/util/strings.hpp"

namespace itwin::hpo {
namespace {

std::string num(double v) {
  if (std::isnan(v)) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.5g", v);
  return buf;
}

std::string pad(std::string s, size_t w, bool right = false) {
  if (s.size() > w) s = s.substr(0, w - 1) + "~";
  std::string fill(w - s.size(), ' ');
  return right ? fill + s : s + fill;
}

void rstrip(std::string& s) {
  while (!s.empty() && s.back() == ' ') s.pop_back();
}

}  // namespace

std::string trials_table(const Study& study, bool ranked, size_t max_rows) {
  const auto& spec = study.spec();
  std::vector<const Trial*> rows;
  if (ranked) {
    rows = study.ranked();
  } else {
    for (const auto& t : study.state().trials) rows.push_back(&t);
  }
  if (max_rows > 0 && rows.size() > max_rows) {  // the running trials, then the latest others
    std::vector<const Trial*> keep;
    for (auto* t : rows)
      if (t->status == Status::kRunning) keep.push_back(t);
    for (auto it = rows.rbegin(); it != rows.rend() && keep.size() < max_rows; ++it)
      if ((*it)->status != Status::kRunning) keep.push_back(*it);
    std::sort(keep.begin(), keep.end(),
              [](const Trial* a, const Trial* b) { return a->id < b->id; });
    rows = keep;
  }
  auto names = short_names(spec.space);
  std::vector<size_t> widths;
  for (size_t i = 0; i < names.size(); ++i) {
    size_t w = std::max<size_t>(names[i].size(), 6);
    for (auto* t : rows) w = std::max(w, display_text(spec.space[i], t->params[i]).size());
    widths.push_back(std::min<size_t>(w, 16));
  }
  std::string out = pad("TRIAL", 6, true) + "  " + pad("STATUS", 11) + pad("EPOCHS", 7, true) +
                    "  " + pad("LAST", 10, true) + "  " + pad("BEST", 10, true) + "  " +
                    pad("RUNG", 6);
  for (size_t i = 0; i < names.size(); ++i) out += "  " + pad(names[i], widths[i]);
  rstrip(out);
  out += "\n";
  for (auto* t : rows) {
    double last = t->values.empty() ? NAN : t->values.rbegin()->second;
    double best = NAN;
    for (const auto& [e, v] : t->values) {
      if (std::isnan(v)) continue;
      if (std::isnan(best) || (spec.mode == config::Mode::Max ? v > best : v < best)) best = v;
    }
    out += pad(std::to_string(t->id), 6, true) + "  " + pad(status_name(t->status), 11) +
           pad(std::to_string(t->epochs()), 7, true) + "  " + pad(num(last), 10, true) + "  " +
           pad(num(best), 10, true) + "  " + pad(study.scheduler().rung_of(t->id), 6);
    for (size_t i = 0; i < names.size(); ++i) {
      out += "  " + pad(display_text(spec.space[i], t->params[i]), widths[i]);
    }
    rstrip(out);
    out += "\n";
  }
  return out;
}

std::string study_line(const Study& study, double elapsed_s) {
  const auto& st = study.state();
  size_t running = 0, failed = 0;
  for (const auto& t : st.trials) {
    running += t.status == Status::kRunning;
    failed += t.status == Status::kFailed;
  }
  std::string s =
      std::to_string(st.trials.size()) +
      (study.spec().trials > 0 ? " of " + std::to_string(study.spec().trials) : std::string()) +
      " trials, " + std::to_string(running) + " running, " + std::to_string(failed) + " failed";
  auto ranked = study.ranked();
  if (!ranked.empty() && !std::isnan(score_of(study.spec(), *ranked.front()))) {
    s += ", best " + study.spec().metric + " " +
         num(metric_value(study.spec(), score_of(study.spec(), *ranked.front()))) + " (trial " +
         std::to_string(ranked.front()->id) + ")";
  }
  return s + ", " + format_duration(elapsed_s);
}

void LiveTable::erase() {
  if (terminal_ && drawn_lines_ > 0) std::fprintf(out_, "\033[%zuF\033[J", drawn_lines_);
  drawn_lines_ = 0;
}

void LiveTable::note(const std::string& line) {
  erase();
  std::fprintf(out_, "%s\n", line.c_str());
  std::fflush(out_);
  last_.clear();  // the next draw prints the table again below the note
}

void LiveTable::draw(const Study& study, double elapsed_s) {
  if (!terminal_) return;
  std::string text = study_line(study, elapsed_s) + "\n" + trials_table(study, false, 20);
  if (text == last_) return;
  erase();
  std::fputs(text.c_str(), out_);
  std::fflush(out_);
  drawn_lines_ = static_cast<size_t>(std::count(text.begin(), text.end(), '\n'));
  last_ = text;
}

}  // namespace itwin::hpo
