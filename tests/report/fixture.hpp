#pragma once
// Run directories written by hand, as the trainer writes them (summary.json,
// metrics.jsonl), with answers worked out by hand in the tests that use them.

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "../helpers.hpp"

namespace itwin::test {

struct EpochLine {
  double time_s;
  double samples_per_s;
  int64_t step = -1;  ///< optimizer steps at the epoch's end (-1: left out)
  std::map<std::string, double> ms =
      {};  ///< data, forward, backward, optimizer, comm, comm_exposed
};

struct RunSpec {
  std::string backend = "gloo", strategy = "ddp";
  int world = 1, nodes = 1;
  std::vector<EpochLine> epochs;
  nlohmann::json extra = nlohmann::json::object();  ///< merged into summary.json
  std::string status = "FINISHED";
};

/// Writes DIR/name/{summary.json, metrics.jsonl}; returns the run directory.
inline std::string write_run(const TempDir& d, const std::string& name, const RunSpec& s) {
  std::vector<std::string> hosts;
  for (int r = 0; r < s.world; ++r) hosts.push_back("node" + std::to_string(r * s.nodes / s.world));
  std::string dir = d.path() + "/" + name;
  nlohmann::json summary = {{"status", s.status},    {"world_size", s.world},
                            {"backend", s.backend},  {"strategy", s.strategy},
                            {"hosts", hosts},        {"nodes", s.nodes},
                            {"run_dir", dir},        {"epochs", s.epochs.size()},
                            {"pipeline", "training"}};
  summary.update(s.extra);
  d.write(name + "/summary.json", summary.dump(2));
  std::string lines;
  int64_t epoch = 0;
  for (const auto& e : s.epochs) {
    ++epoch;
    // A step point first, as the trainer logs them between epochs: never read as an epoch.
    lines += nlohmann::json({{"step", e.step},
                             {"epoch", epoch},
                             {"per_step", true},
                             {"train_loss_step", 1.0},
                             {"time_forward_ms", 9999.0}})
                 .dump() +
             "\n";
    nlohmann::json j = {{"epoch", epoch},
                        {"time", 1.7e9 + epoch},
                        {"epoch_time_s", e.time_s},
                        {"samples_per_s", e.samples_per_s},
                        {"train_loss", 0.5}};
    if (e.step >= 0) j["step"] = e.step;
    for (const auto& [k, v] : e.ms) j["time_" + k + "_ms"] = v;
    lines += j.dump() + "\n";
  }
  d.write(name + "/metrics.jsonl", lines);
  return dir;
}

}  // namespace itwin::test

namespace itwin::test {

/// The scaling fixture, answers worked by hand (first epoch left out):
///   gloo/ddp 1 rank : runs w1-a (epochs 9, 4, 6 s) and w1-b (20, 6, 8 s): 5 and 7 s,
///                     mean 6 s, sd sqrt(2); samples/s 250 and 100: mean 175
///   gloo/ddp 2 ranks: w2 (7, 3.5, 4.5 s): 4 s, speedup 1.5, efficiency 75 %;
///                     steps of 10 -> 400 ms per step; 40 data + 260 compute + 30 exposed
///                     comm -> 10 / 65 / 7.5 / 17.5 %, 90 of 120 ms comm hidden: 75 %;
///                     2 Wh over 230 samples: 8.6957 Wh per 1k samples
///   gloo/ddp 4 ranks on 2 nodes: w4 (5, 2.5, 2.5 s): 2.5 s, speedup 2.4, efficiency 60 %
///   gloo/ddp 8 ranks on 2 nodes: one-epoch (2 s, kept): speedup 3, efficiency 37.5 %
///   mpi/zero1 2 ranks: zero1 (3, 3, 3 s): its own baseline, speedup 1
///   failed: status FAILED, skipped.
inline void write_scaling_fixture(const TempDir& d) {
  std::map<std::string, double> ms = {{"data", 40},      {"forward", 100}, {"backward", 150},
                                      {"optimizer", 10}, {"comm", 120},    {"comm_exposed", 30}};
  write_run(d, "runs/w1-a", {"gloo", "ddp", 1, 1, {{9, 100, 10}, {4, 200, 20}, {6, 300, 30}}});
  write_run(d, "runs/w1-b", {"gloo", "ddp", 1, 1, {{20, 50, 10}, {6, 100, 20}, {8, 100, 30}}});
  RunSpec w2{"gloo", "ddp", 2, 1, {{7, 10, 10, ms}, {3.5, 20, 20, ms}, {4.5, 20, 30, ms}}};
  w2.extra = {{"monitor",
               {{"energy_wh", 2.0},
                {"co2e_g", 0.95},
                {"gpu_util_mean", 80.0},
                {"gpu_util_peak", 99.0},
                {"cpu_util_mean", 40.0},
                {"carbon_intensity_g_per_kwh", 475.0}}}};
  write_run(d, "runs/w2", w2);
  write_run(d, "runs/w4", {"gloo", "ddp", 4, 2, {{5, 40, 5}, {2.5, 80, 10}, {2.5, 80, 15}}});
  write_run(d, "runs/one-epoch", {"gloo", "ddp", 8, 2, {{2.0, 100, 4}}});
  write_run(d, "runs/zero1", {"mpi", "zero1", 2, 1, {{3, 10, 10}, {3, 10, 20}, {3, 10, 30}}});
  write_run(d, "runs/failed",
            {"gloo", "ddp", 1, 1, {{1, 1, 1}}, nlohmann::json::object(), "FAILED"});
}

}  // namespace itwin::test
