#include "itwin/hpo/outcome.hpp"

#include <cmath>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "itwin/util/error.hpp"
#include "itwin/util/fs.hpp"

namespace fs = std::filesystem;

namespace itwin::hpo {

std::vector<std::pair<int64_t, std::map<std::string, double>>> MetricsTail::poll() {
  std::vector<std::pair<int64_t, std::map<std::string, double>>> out;
  std::ifstream in(path_, std::ios::binary);
  if (!in) return out;
  in.seekg(static_cast<std::streamoff>(offset_));
  std::string line;
  while (std::getline(in, line)) {
    if (in.eof()) break;  // no newline yet: a line being written
    offset_ += line.size() + 1;
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (!j.is_object() || j.value("per_step", false) || !j.contains("epoch") ||
        !j["epoch"].is_number_integer() || j["epoch"].get<int64_t>() <= last_epoch_)
      continue;
    last_epoch_ = j["epoch"].get<int64_t>();
    std::map<std::string, double> values;
    for (const auto& [k, v] : j.items()) {
      if (v.is_number()) values[k] = v.get<double>();
      if (v.is_null()) values[k] = NAN;
    }
    out.emplace_back(j["epoch"].get<int64_t>(), std::move(values));
  }
  return out;
}

SegmentOutcome read_outcome(const std::string& run_dir) {
  SegmentOutcome o;
  o.checkpoint =
      fs::is_directory(run_dir + "/checkpoints") && !fs::is_empty(run_dir + "/checkpoints");
  const std::string p = run_dir + "/summary.json";
  if (!fs::exists(p)) return o;
  auto j = nlohmann::json::parse(read_file(p), nullptr, false);
  if (!j.is_object()) return o;
  o.status = j.value("status", "");
  o.error = j.value("error", "");
  o.finished = j.value("finished", 0.0);
  return o;
}

Verdict classify(int exit, const SegmentOutcome& o, int64_t epochs, int64_t max_t,
                 bool stop_requested, const std::string& stop_reason) {
  auto with_error = [&](const std::string& what) {
    return o.error.empty() ? what : what + ": " + o.error;
  };
  if (exit == kExitOk || (exit < 0 && (o.status == "FINISHED" || o.status == "PAUSED"))) {
    if (o.status == "PAUSED" && epochs < max_t) return {Status::kPaused, ""};
    return {Status::kCompleted,
            epochs < max_t ? "early stopping after epoch " + std::to_string(epochs) : ""};
  }
  // 75 after a checkpoint; 130, or death by SIGTERM before the trial could
  // install its handler (still starting): stopped as well, maybe without one.
  if (exit == kExitPreempted || exit == kExitInterrupted || exit == 128 + SIGTERM ||
      (exit < 0 && o.status == "KILLED") || (exit < 0 && o.status.empty())) {
    if (stop_requested) return {Status::kStopped, stop_reason};
    return {Status::kInterrupted,
            "stopped by a signal before it was done; it resumes from its checkpoint"};
  }
  if (exit == kExitDiverged) return {Status::kFailed, with_error("diverged (exit 3)")};
  if (exit == kExitBadInput) return {Status::kFailed, with_error("bad input (exit 2)")};
  if (exit > 128) {
    int sig = exit - 128;
    return {Status::kFailed, "killed by signal " + std::to_string(sig) + " (" + strsignal(sig) +
                                 ")" + (sig == SIGKILL ? ": a rank was lost" : "")};
  }
  if (exit < 0) return {Status::kFailed, with_error("failed while the controller was gone")};
  return {Status::kFailed, with_error("exit " + std::to_string(exit))};
}

}  // namespace itwin::hpo
