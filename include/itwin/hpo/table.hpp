#pragma once
/// The trials as a table: live while a study runs (redrawn in place on a
/// terminal; elsewhere one plain line per event) and ranked at the end and
/// in `itwin hpo show`.

#include <cstdio>
#include <string>

#include "itwin/hpo/study.hpp"

namespace itwin::hpo {

/// The table text: a header and one row per trial (id, status, parameters,
/// epochs, last and best metric, rung). `ranked`: best first, else by id;
/// `max_rows` > 0 keeps the running trials and the latest others.
std::string trials_table(const Study& study, bool ranked, size_t max_rows = 0);

/// One line on how the study stands ("12 of 20 trials, 2 running, best ...").
std::string study_line(const Study& study, double elapsed_s);

class LiveTable {
 public:
  /// `terminal`: redraw the table in place (ANSI); else print notes only.
  LiveTable(std::FILE* out, bool terminal) : out_(out), terminal_(terminal) {}
  /// An event worth a line ("trial 3 paused at rung 1 ...").
  void note(const std::string& line);
  /// A detail (an epoch's metric) printed only when not on a terminal.
  void detail(const std::string& line) {
    if (!terminal_) note(line);
  }
  /// Redraws the table (terminal only).
  void draw(const Study& study, double elapsed_s);
  /// Forgets the drawn table, so that what follows is printed below it.
  void release() { drawn_lines_ = 0; }

 private:
  void erase();
  std::FILE* out_;
  bool terminal_;
  size_t drawn_lines_ = 0;
  std::string last_;
};

}  // namespace itwin::hpo
