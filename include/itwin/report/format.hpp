#pragma once
/// The report as text: aligned tables, Markdown, CSV (one row per
/// configuration), JSON, and one HTML page with the tables and the plots.

#include <string>
#include <vector>

#include "itwin/report/plots.hpp"
#include "itwin/report/report.hpp"

namespace itwin::report {

enum class Format { Table, Markdown, Csv, Json, Html };

/// The `--format` names and their formats (also the help text and its choices).
struct FormatName {
  const char* name;
  Format format;
};
const std::vector<FormatName>& format_names();

/// `plots` are drawn files the HTML page shows (paths relative to the page);
/// `plot_note` says why there are none, when there are none.
std::string render(const Report& r, Format f, const std::vector<Plot>& plots = {},
                   const std::string& plot_note = "");

}  // namespace itwin::report
