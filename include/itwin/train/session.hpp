#pragma once
/// A run session: everything a run writes besides what its steps compute.
/// The run directory (claimed by rank 0, agreed by all), each rank's console
/// and log, config.yaml, provenance.json, the loggers, summary.json, and how
/// the run ends. Torch-free: the steps (steps.hpp) put their results into it.
///
/// Protocol, on every rank (collectives happen in this order everywhere):
///   1. open(): rank 0 claims a fresh run directory (or the one to resume)
///      and every rank learns it or the same error; ranks > 0 send their
///      output to RUN_DIR/logs/rank-R.log; hosts are all-gathered; rank 0
///      writes config.yaml and provenance.json; loggers open (rank 0 first).
///   2. the steps run and add to summary().
///   3. finish(status): provenance and summary.json (rank 0), loggers closed.

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "itwin/comm/backend.hpp"
#include "itwin/config/pipeline.hpp"
#include "itwin/launch/world.hpp"
#include "itwin/monitor/monitor.hpp"
#include "itwin/track/provenance.hpp"
#include "itwin/track/sink.hpp"
#include "itwin/train/run.hpp"

namespace itwin::train {

class RunSession {
 public:
  RunSession(comm::Backend& comm, const launch::World& world, config::BackendKind backend,
             const config::Config& cfg, const config::Pipeline& pipeline, const RunOptions& opts,
             int64_t threads);
  ~RunSession();
  RunSession(const RunSession&) = delete;
  RunSession& operator=(const RunSession&) = delete;

  bool lead() const { return comm_.rank() == 0; }
  int local_rank() const { return world_.local_rank; }
  comm::Backend& comm() { return comm_; }
  const config::Config& config() const { return cfg_; }
  const RunOptions& options() const { return opts_; }
  /// run.resume: auto, or --resume.
  bool resume() const { return resume_; }

  /// Records the device of every rank (collective: every rank calls it once,
  /// when its device is chosen): provenance.json and summary.json "devices".
  void record_device(const std::string& name);

  /// A result line: printed on rank 0's stdout, logged by the other ranks.
  void say(const char* fmt, ...) __attribute__((format(printf, 2, 3)));

  /// Step 1 of the protocol; a no-op when already open.
  void open();
  bool is_open() const { return open_; }
  const std::string& run_dir() const { return run_dir_; }
  /// This rank's loggers (open() first).
  track::MetricSink& sink();
  /// The resolved config as YAML (what config.yaml and checkpoints hold).
  const std::string& config_yaml() const { return config_yaml_; }
  /// summary.json under construction (rank 0 writes it in finish()).
  nlohmann::json& summary() { return summary_; }

  /// Step 3: FINISHED, FAILED, KILLED or PAUSED. Only the first call counts.
  /// `together`: every rank calls it at this point (the normal end, an error
  /// all ranks agreed on), so the node monitors' results can be gathered;
  /// false for an error on this rank alone.
  void finish(const std::string& status, const std::string& error, bool together = true);

  /// The job's console for a rank > 0 whose output goes to its log (-1 otherwise).
  int console_fd() const { return console_fd_; }

 private:
  std::string claim_run_dir();
  void redirect_output();
  void write_start_files();
  void warn_config_changes();
  void point_latest_link();
  void open_loggers();
  void write_end(const std::string& status, const std::string& error, bool together);
  void start_monitor(const std::vector<int>& pids);
  /// Every node's monitor result as JSON on rank 0 (collective when `together`).
  std::vector<nlohmann::json> gather_monitors(bool together);

  comm::Backend& comm_;
  launch::World world_;
  config::BackendKind backend_;
  const config::Config& cfg_;
  const config::Pipeline& pipeline_;
  RunOptions opts_;
  int64_t threads_;
  bool resume_ = false, open_ = false, finished_ = false;
  std::string run_dir_, config_yaml_;
  std::string latest_link_;  ///< <root>/<name>.latest for a default-named run, else ""
  int console_fd_ = -1;
  double start_ = 0;
  track::Provenance prov_;
  std::unique_ptr<track::MultiSink> sink_;
  nlohmann::json summary_;
  std::vector<std::string> early_lines_;  ///< result lines of a rank > 0 before its log exists
  std::unique_ptr<monitor::Monitor>
      monitor_;  ///< on local rank 0 of each node, when monitor.enabled
};

}  // namespace itwin::train
