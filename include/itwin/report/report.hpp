#pragma once
/// The scalability report: runs grouped by backend, strategy and world size
/// (nodes x ranks), repeated runs averaged with their spread, speedup and
/// parallel efficiency against each series' smallest world, the time breakdown
/// per step, utilisation, energy and CO2e. Pure: runs in, numbers out.

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "itwin/report/runs.hpp"

namespace itwin::report {

struct Options {
  bool keep_first_epoch = false;  ///< the first epoch (warm-up) is left out of times by default
};

/// A quantity over the repeated runs of a group: mean, sample standard
/// deviation (NaN below two runs) and how many runs had it.
struct Value {
  double mean = NAN, sd = NAN;
  int n = 0;
};

/// One configuration: backend, strategy, nodes, ranks.
struct Group {
  std::string backend, strategy;
  int64_t nodes = 1, world_size = 1;
  std::vector<std::string> runs;  ///< run ids
  Value epoch_time_s;             ///< mean epoch time of each run, averaged over runs
  Value samples_per_s;            ///< throughput, all ranks
  double samples_per_s_per_rank = NAN;
  /// The baseline: the smallest world of this backend and strategy, or
  /// `local` (one rank, no communication) with this strategy when smaller.
  std::string baseline;  ///< its label
  int64_t baseline_world = 0;
  double baseline_epoch_time_s = NAN, baseline_samples_per_s = NAN;
  double speedup = NAN;         ///< baseline epoch time / this epoch time
  double efficiency_pct = NAN;  ///< speedup * baseline_world / world_size * 100
  /// Share of a step's wall time: compute (forward + backward + optimizer),
  /// communication not hidden behind compute, data loading, and the rest.
  Value compute_pct, comm_exposed_pct, data_pct, other_pct;
  Value comm_hidden_pct;             ///< share of communication time overlapped with compute
  Value gpu_util_pct, cpu_util_pct;  ///< whole run
  double gpu_util_peak_pct = NAN;
  Value energy_wh;  ///< whole run, all measured devices
  Value wh_per_1k_samples;
  Value co2e_g;

  /// "gloo/ddp 2x4" (nodes x ranks per node), or "gloo/ddp 3r/2n" when uneven.
  std::string label() const;
  std::string series() const { return backend + "/" + strategy; }
};

struct Report {
  Options options;
  std::vector<Group> groups;  ///< by backend, strategy, world size, nodes
  int64_t runs = 0;
  std::vector<std::string> notes;    ///< what the numbers rest on (one-epoch runs, fallbacks)
  std::vector<std::string> skipped;  ///< from loading
};

/// Groups and aggregates; see docs/report.md for every definition.
Report build_report(const Loaded& loaded, const Options& options);

}  // namespace itwin::report
