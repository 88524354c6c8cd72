// itwin runs: the run directories on disk, as tables or JSON.
#include "itwin/track/runs.hpp"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>

#include "itwin/util/error.hpp"
#include "itwin/util/strings.hpp"
#include "setups.hpp"

namespace itwin::cli {
namespace {

struct RunsOptions {
  std::string root = "runs";
  std::vector<std::string> dirs;
  bool json = false;
};

nlohmann::json to_json(const track::RunRecord& r) {
  return {{"dir", r.dir},         {"status", r.status},   {"pipeline", r.pipeline},
          {"config", r.config},   {"started", r.started}, {"wall_seconds", r.wall_seconds},
          {"metrics", r.metrics}, {"params", r.params},   {"tracked", r.tracked}};
}

// The headline metric of a run: test accuracy, else validation accuracy, else a loss.
std::string headline(const track::RunRecord& r) {
  for (const char* k : {"test_accuracy", "val_accuracy", "test_loss", "val_loss", "train_loss"}) {
    auto it = r.metrics.find(k);
    if (it != r.metrics.end()) {
      char buf[64];
      std::snprintf(buf, sizeof buf, "%s %.4f", k, it->second);
      return buf;
    }
  }
  return "-";
}

int list(const RunsOptions& o) {
  auto runs = track::find_runs(o.root);
  if (o.json) {
    nlohmann::json j = nlohmann::json::array();
    for (const auto& r : runs) j.push_back(to_json(r));
    std::cout << j.dump(2) << "\n";
    return 0;
  }
  // Columns as wide as their longest entry: long run paths keep the table aligned.
  int run_w = 3, status_w = 6, pipeline_w = 8;
  for (const auto& r : runs) {
    run_w = std::max(run_w, static_cast<int>(r.dir.size()));
    status_w = std::max(status_w, static_cast<int>(r.status.size()));
    pipeline_w = std::max(pipeline_w, static_cast<int>(r.pipeline.size()));
  }
  std::printf("%-*s %-*s %-*s %-16s %8s  %s\n", run_w, "RUN", status_w, "STATUS", pipeline_w,
              "PIPELINE", "STARTED", "WALL", "RESULT");
  for (const auto& r : runs) {
    std::printf("%-*s %-*s %-*s %-16s %7.0fs  %s\n", run_w, r.dir.c_str(), status_w,
                r.status.c_str(), pipeline_w, r.pipeline.c_str(),
                format_local_time(r.started).c_str(), r.wall_seconds, headline(r).c_str());
  }
  return 0;
}

int show(const RunsOptions& o) {
  auto r = track::load_run(o.dirs.at(0));
  if (o.json) {
    std::cout << to_json(r).dump(2) << "\n";
    return 0;
  }
  std::printf("run %s: %s, pipeline %s, started %s, %.0f s\n  config: %s\n  metrics:\n",
              r.dir.c_str(), r.status.c_str(), r.pipeline.c_str(),
              format_local_time(r.started).c_str(), r.wall_seconds, r.config.c_str());
  for (const auto& [k, v] : r.metrics) std::printf("    %-24s %.6g\n", k.c_str(), v);
  for (const auto& t : r.tracked) std::printf("  tracked: %s\n", t.c_str());
  std::printf("  parameters:\n");
  for (const auto& [k, v] : r.params) std::printf("    %-40s %s\n", k.c_str(), v.c_str());
  return 0;
}

// Parameters that differ between the runs, then every final metric, side by side.
int compare(const RunsOptions& o) {
  std::vector<track::RunRecord> runs;
  for (const auto& d : o.dirs) runs.push_back(track::load_run(d));
  std::vector<const track::Params*> sets;
  std::set<std::string> metrics;
  for (const auto& r : runs) {
    sets.push_back(&r.params);
    for (const auto& [k, v] : r.metrics) metrics.insert(k);
  }
  const std::set<std::string> params = track::differing_params(sets);
  if (o.json) {
    nlohmann::json j = {{"runs", nlohmann::json::array()}, {"differing_params", params}};
    for (const auto& r : runs) j["runs"].push_back(to_json(r));
    std::cout << j.dump(2) << "\n";
    return 0;
  }
  std::printf("%-32s", "");
  for (const auto& r : runs)
    std::printf(" %20s", r.dir.substr(r.dir.size() > 20 ? r.dir.size() - 20 : 0).c_str());
  std::printf("\n");
  for (const auto& k : params) {
    std::printf("%-32s", k.c_str());
    for (const auto& r : runs) {
      auto it = r.params.find(k);
      std::printf(" %20s", it == r.params.end() ? "-" : it->second.c_str());
    }
    std::printf("\n");
  }
  for (const auto& k : metrics) {
    std::printf("%-32s", k.c_str());
    for (const auto& r : runs) {
      auto it = r.metrics.find(k);
      if (it == r.metrics.end())
        std::printf(" %20s", "-");
      else
        std::printf(" %20.6g", it->second);
    }
    std::printf("\n");
  }
  return 0;
}

}  // namespace

Runner setup_runs(CLI::App& cmd, const Invocation&) {
  auto* runs = &cmd;
  auto o = std::make_shared<RunsOptions>();
  auto* l = runs->add_subcommand("list", "every run under ROOT (default runs/), newest first");
  l->add_option("root", o->root, "run-directory tree");
  l->add_flag("--json", o->json, "print JSON");
  auto* s = runs->add_subcommand("show", "one run: status, final metrics, parameters");
  s->add_option("run", o->dirs, "run directory")->required()->expected(1);
  s->add_flag("--json", o->json, "print JSON");
  auto* c = runs->add_subcommand("compare", "several runs side by side");
  c->add_option("runs", o->dirs, "run directories")->required()->expected(2, 64);
  c->add_flag("--json", o->json, "print JSON");
  return dispatch_sub(cmd, {{l, [o] { return list(*o); }},
                            {s, [o] { return show(*o); }},
                            {c, [o] { return compare(*o); }}});
}

}  // namespace itwin::cli
