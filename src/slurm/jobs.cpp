#include "itwin/slurm/jobs.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>

#include "itwin/util/error.hpp"
#include "itwin/util/fs.hpp"
#include "itwin/util/process.hpp"
#include "itwin/util/state.hpp"
#include "itwin/util/strings.hpp"

namespace itwin::slurm {

bool JobState::finished() const {
  static const char* done[] = {"COMPLETED",     "FAILED",    "CANCELLED", "TIMEOUT",  "NODE_FAIL",
                               "OUT_OF_MEMORY", "BOOT_FAIL", "DEADLINE",  "PREEMPTED"};
  for (const char* d : done)
    if (starts_with(state, d)) return true;
  return false;
}

void add_record(const JobRecord& r) {
  nlohmann::json j = {
      {"id", r.id},         {"name", r.name},   {"config", r.config},      {"pipeline", r.pipeline},
      {"script", r.script}, {"log", r.log},     {"run_dir", r.run_dir},    {"profile", r.profile},
      {"group", r.group},   {"nodes", r.nodes}, {"submitted", r.submitted}};
  std::filesystem::create_directories(state_dir());
  append_line(state_dir() + "/jobs.jsonl", j.dump());
}

std::vector<JobRecord> records() {
  std::vector<JobRecord> out;
  std::ifstream in(state_dir() + "/jobs.jsonl");
  std::string line;
  while (std::getline(in, line)) {
    try {
      auto j = nlohmann::json::parse(line);
      JobRecord r;
      r.id = j.value("id", "");
      r.name = j.value("name", "");
      r.config = j.value("config", "");
      r.pipeline = j.value("pipeline", "");
      r.script = j.value("script", "");
      r.log = j.value("log", "");
      r.run_dir = j.value("run_dir", "");
      r.profile = j.value("profile", "");
      r.group = j.value("group", "");
      r.nodes = j.value("nodes", int64_t{0});
      r.submitted = j.value("submitted", 0.0);
      out.push_back(r);
    } catch (const std::exception&) {
      continue;  // a line cut short by a crash: skip it
    }
  }
  return out;
}

JobRecord find_record(const std::string& id) {
  std::vector<std::string> ids;
  for (const auto& r : records()) {
    if (r.id == id) return r;
    ids.push_back(r.id);
  }
  throw UsageError("no job " + id + " in itwin's job list (" + state_dir() + "/jobs.jsonl)" +
                   (ids.empty() ? "" : "; known: " + join(ids, ", ")));
}

}  // namespace itwin::slurm
