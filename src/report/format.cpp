// The report as aligned text, Markdown, CSV, JSON and HTML.
#include "itwin/report/format.hpp"

#include <cstdio>
#include <functional>
#include <nlohmann/json.hpp>

#include "itwin/util/strings.hpp"

namespace itwin::report {
namespace {

using json = nlohmann::json;

bool finite(double v) { return std::isfinite(v); }

// About four significant digits, without exponents for everyday sizes.
std::string fmt(double v) {
  if (!finite(v)) return "-";
  char buf[32];
  double a = std::fabs(v);
  const char* f = a >= 1000  ? "%.0f"
                  : a >= 100 ? "%.1f"
                  : a >= 1   ? "%.2f"
                  : a == 0   ? "%.0f"
                             : "%.3g";
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

std::string fmt(const Value& v) {
  if (!finite(v.mean)) return "-";
  return finite(v.sd) ? fmt(v.mean) + " ± " + fmt(v.sd) : fmt(v.mean);
}

// Percentages: one decimal, so that a column lines up.
std::string pct(double v) {
  if (!finite(v)) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

std::string pct(const Value& v) {
  if (!finite(v.mean)) return "-";
  return finite(v.sd) ? pct(v.mean) + " ± " + pct(v.sd) : pct(v.mean);
}

// A table of strings: the one shape the text, Markdown and HTML forms share.
struct Table {
  std::string title;
  std::vector<std::string> head;
  std::vector<std::vector<std::string>> rows;
};

std::vector<Table> tables(const Report& r) {
  Table scaling{"Scaling",
                {"backend", "strategy", "nodes", "ranks", "runs", "epoch time (s)", "speedup",
                 "efficiency (%)", "samples/s", "samples/s per rank"},
                {}};
  Table steps{"Time per step (%)",
              {"configuration", "compute", "exposed comm", "data", "other", "comm hidden"},
              {}};
  Table res{"Utilisation and energy (whole run)",
            {"configuration", "GPU util (%)", "GPU peak (%)", "CPU util (%)", "energy (Wh)",
             "Wh per 1k samples", "CO2e (g)"},
            {}};
  for (const auto& g : r.groups) {
    scaling.rows.push_back({g.backend, g.strategy, std::to_string(g.nodes),
                            std::to_string(g.world_size), std::to_string(g.runs.size()),
                            fmt(g.epoch_time_s), fmt(g.speedup), pct(g.efficiency_pct),
                            fmt(g.samples_per_s), fmt(g.samples_per_s_per_rank)});
    steps.rows.push_back({g.label(), pct(g.compute_pct), pct(g.comm_exposed_pct), pct(g.data_pct),
                          pct(g.other_pct), pct(g.comm_hidden_pct)});
    res.rows.push_back({g.label(), pct(g.gpu_util_pct), pct(g.gpu_util_peak_pct),
                        pct(g.cpu_util_pct), fmt(g.energy_wh), fmt(g.wh_per_1k_samples),
                        fmt(g.co2e_g)});
  }
  return {scaling, steps, res};
}

std::string headline(const Report& r) {
  return std::to_string(r.runs) + " runs in " + std::to_string(r.groups.size()) +
         " configurations; " +
         (r.options.keep_first_epoch ? "first epoch kept"
                                     : "first epoch left out (--keep-first-epoch keeps it)") +
         "; speedup and efficiency against the smallest world of each backend/strategy (or one "
         "local rank)";
}

// Display width of UTF-8 text (the ± sign is one column, two bytes).
size_t width(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

std::string text(const Report& r) {
  std::string out = headline(r) + "\n";
  for (const auto& t : tables(r)) {
    std::vector<size_t> w(t.head.size());
    for (size_t i = 0; i < w.size(); ++i) {
      w[i] = width(t.head[i]);
      for (const auto& row : t.rows) w[i] = std::max(w[i], width(row[i]));
    }
    auto line = [&](const std::vector<std::string>& cells) {
      std::string l;
      for (size_t i = 0; i < cells.size(); ++i) {
        std::string pad(w[i] - width(cells[i]), ' ');
        bool left = i == 0 || (t.head[0] == "backend" && i == 1);  // names left, numbers right
        l += (i ? "  " : "") + (left ? cells[i] + pad : pad + cells[i]);
      }
      while (!l.empty() && l.back() == ' ') l.pop_back();
      return l + "\n";
    };
    out += "\n" + t.title + "\n" + line(t.head);
    for (const auto& row : t.rows) out += line(row);
  }
  for (const auto& n : r.notes) out += "\nnote: " + n;
  for (const auto& s : r.skipped) out += "\nskipped: " + s;
  if (!r.notes.empty() || !r.skipped.empty()) out += "\n";
  return out;
}

std::string markdown(const Report& r) {
  std::string out = "# Scalability report\n\n" + headline(r) + ".\n";
  for (const auto& t : tables(r)) {
    out += "\n## " + t.title + "\n\n| " + join(t.head, " | ") + " |\n|";
    for (size_t i = 0; i < t.head.size(); ++i) out += i == 0 ? " --- |" : " ---: |";
    out += "\n";
    for (const auto& row : t.rows) {
      std::vector<std::string> cells;
      for (auto c : row) {  // a '|' in a name would split the cell
        for (size_t p = 0; (p = c.find('|', p)) != std::string::npos; p += 2)
          c.replace(p, 1, "\\|");
        cells.push_back(c);
      }
      out += "| " + join(cells, " | ") + " |\n";
    }
  }
  if (!r.notes.empty()) out += "\n## Notes\n\n";
  for (const auto& n : r.notes) out += "- " + n + "\n";
  if (!r.skipped.empty()) out += "\n## Skipped\n\n";
  for (const auto& s : r.skipped) out += "- " + s + "\n";
  return out;
}

// One numeric column of the CSV and JSON forms.
struct Column {
  const char* name;
  std::function<double(const Group&)> get;
};

const std::vector<Column>& columns() {
  static const std::vector<Column> c = {
      {"epoch_time_s", [](const Group& g) { return g.epoch_time_s.mean; }},
      {"epoch_time_s_sd", [](const Group& g) { return g.epoch_time_s.sd; }},
      {"speedup", [](const Group& g) { return g.speedup; }},
      {"efficiency_pct", [](const Group& g) { return g.efficiency_pct; }},
      {"samples_per_s", [](const Group& g) { return g.samples_per_s.mean; }},
      {"samples_per_s_sd", [](const Group& g) { return g.samples_per_s.sd; }},
      {"samples_per_s_per_rank", [](const Group& g) { return g.samples_per_s_per_rank; }},
      {"compute_pct", [](const Group& g) { return g.compute_pct.mean; }},
      {"comm_exposed_pct", [](const Group& g) { return g.comm_exposed_pct.mean; }},
      {"data_pct", [](const Group& g) { return g.data_pct.mean; }},
      {"other_pct", [](const Group& g) { return g.other_pct.mean; }},
      {"comm_hidden_pct", [](const Group& g) { return g.comm_hidden_pct.mean; }},
      {"gpu_util_pct", [](const Group& g) { return g.gpu_util_pct.mean; }},
      {"gpu_util_peak_pct", [](const Group& g) { return g.gpu_util_peak_pct; }},
      {"cpu_util_pct", [](const Group& g) { return g.cpu_util_pct.mean; }},
      {"energy_wh", [](const Group& g) { return g.energy_wh.mean; }},
      {"energy_wh_sd", [](const Group& g) { return g.energy_wh.sd; }},
      {"wh_per_1k_samples", [](const Group& g) { return g.wh_per_1k_samples.mean; }},
      {"co2e_g", [](const Group& g) { return g.co2e_g.mean; }},
  };
  return c;
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

std::string csv(const Report& r) {
  std::string out = "backend,strategy,nodes,ranks,runs";
  for (const auto& c : columns()) out += std::string(",") + c.name;
  out += "\n";
  for (const auto& g : r.groups) {
    out += csv_field(g.backend) + "," + csv_field(g.strategy) + "," + std::to_string(g.nodes) +
           "," + std::to_string(g.world_size) + "," + std::to_string(g.runs.size());
    for (const auto& c : columns()) {
      double v = c.get(g);
      char buf[32] = "";
      if (finite(v)) std::snprintf(buf, sizeof buf, "%.10g", v);
      out += std::string(",") + buf;
    }
    out += "\n";
  }
  return out;
}

std::string json_text(const Report& r) {
  json groups = json::array();
  for (const auto& g : r.groups) {
    json j = {{"backend", g.backend},
              {"strategy", g.strategy},
              {"nodes", g.nodes},
              {"ranks", g.world_size},
              {"label", g.label()},
              {"baseline", g.baseline},
              {"baseline_ranks", g.baseline_world},
              {"runs", g.runs}};
    for (const auto& c : columns()) {
      double v = c.get(g);
      j[c.name] = finite(v) ? json(v) : json(nullptr);
    }
    groups.push_back(j);
  }
  json out = {{"runs", r.runs},
              {"keep_first_epoch", r.options.keep_first_epoch},
              {"groups", groups},
              {"notes", r.notes},
              {"skipped", r.skipped}};
  return out.dump(2) + "\n";
}

std::string html_escape(const std::string& s) {
  std::string o;
  for (char c : s) {
    switch (c) {
      case '&':
        o += "&amp;";
        break;
      case '<':
        o += "&lt;";
        break;
      case '>':
        o += "&gt;";
        break;
      case '"':
        o += "&quot;";
        break;
      case '\'':
        o += "&#39;";
        break;
      default:
        o += c;
    }
  }
  return o;
}

std::string html(const Report& r, const std::vector<Plot>& plots, const std::string& plot_note) {
  std::string out =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<title>itwin scalability report</title>\n<style>\n"
      "body{font-family:sans-serif;margin:2em;max-width:1100px;color:#222}\n"
      "table{border-collapse:collapse;margin:0.5em 0 1.5em}\n"
      "th,td{border:1px solid #bbb;padding:0.25em 0.6em}\n"
      "th{background:#eef}\ntd.n{text-align:right;font-variant-numeric:tabular-nums}\n"
      ".plots{display:grid;grid-template-columns:repeat(auto-fill,minmax(480px,1fr));gap:1em}\n"
      "figure{margin:0}\nfigure img{width:100%;border:1px solid #ddd}\n"
      "</style>\n</head>\n<body>\n<h1>Scalability report</h1>\n<p>" +
      html_escape(headline(r)) + ".</p>\n";
  for (const auto& t : tables(r)) {
    out += "<h2>" + html_escape(t.title) + "</h2>\n<table>\n<tr>";
    for (const auto& h : t.head) out += "<th>" + html_escape(h) + "</th>";
    out += "</tr>\n";
    for (const auto& row : t.rows) {
      out += "<tr>";
      for (size_t i = 0; i < row.size(); ++i) {
        bool name = i == 0 || (t.head[0] == "backend" && i == 1);
        out += (name ? "<td>" : "<td class=\"n\">") + html_escape(row[i]) + "</td>";
      }
      out += "</tr>\n";
    }
    out += "</table>\n";
  }
  out += "<h2>Plots</h2>\n";
  if (plots.empty()) {
    out += "<p>" + html_escape(plot_note.empty() ? "no plots" : plot_note) + "</p>\n";
  } else {
    out += "<div class=\"plots\">\n";
    for (const auto& p : plots) {
      out += "<figure><img src=\"plots/" + html_escape(p.name) + ".svg\" alt=\"" +
             html_escape(p.title) + "\"><figcaption>" + html_escape(p.title) +
             " (<a href=\"plots/" + html_escape(p.name) + ".png\">PNG</a>)</figcaption></figure>\n";
    }
    out += "</div>\n";
  }
  if (!r.notes.empty() || !r.skipped.empty()) out += "<h2>Notes</h2>\n<ul>\n";
  for (const auto& n : r.notes) out += "<li>" + html_escape(n) + "</li>\n";
  for (const auto& s : r.skipped) out += "<li>skipped: " + html_escape(s) + "</li>\n";
  if (!r.notes.empty() || !r.skipped.empty()) out += "</ul>\n";
  return out + "</body>\n</html>\n";
}

}  // namespace

const std::vector<FormatName>& format_names() {
  static const std::vector<FormatName> names = {{"table", Format::Table},
                                                {"md", Format::Markdown},
                                                {"csv", Format::Csv},
                                                {"json", Format::Json},
                                                {"html", Format::Html}};
  return names;
}

std::string render(const Report& r, Format f, const std::vector<Plot>& plots,
                   const std::string& plot_note) {
  switch (f) {
    case Format::Table:
      return text(r);
    case Format::Markdown:
      return markdown(r);
    case Format::Csv:
      return csv(r);
    case Format::Json:
      return json_text(r);
    case Format::Html:
      return html(r, plots, plot_note);
  }
  return "";
}

}  // namespace itwin::report
