#include "itwin/slurm/jobs.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>

#include "itwin/util/error.hpp"
#include "itwin/util/fs.hpp"
#include "itwin/util/process.hpp"
#include "itwin/util/strings.hpp"

namespace itwin::slurm {

bool JobState::finished() const {
  static const char* done[] = {"COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "OUT_OF_MEMORY",
                               "BOOT_FAIL", "DEADLINE", "PREEMPTED"};
  for (const char* d : done)
    if (starts_with(state, d)) return true;
  return false;
}

std::string state_dir() {
  if (const char* d = std::getenv("ITWIN_STATE_DIR")) return d;
  if (const char* x = std::getenv("XDG_STATE_HOME")) return std::string(x) + "/itwin";
  const char* h = std::getenv("HOME");
  return std::string(h ? h : ".") + "/.local/state/itwin";
}

void add_record(const JobRecord& r) {
  nlohmann::json j = {{"id", r.id},         {"name", r.name},       {"config", r.config}, {"pipeline", r.pipeline},
                      {"script", r.script}, {"log", r.log},         {"run_dir", r.run_dir}, {"profile", r.profile},
                      {"group", r.group},   {"nodes", r.nodes},     {"submitted", r.submitted}};
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

std::string sbatch(const std::string& script) {
  Captured c = run_capture({"sbatch", "--parsable", script});
  if (c.exit_code != 0) {
    throw RuntimeError("sbatch failed (exit " + std::to_string(c.exit_code) + "): " + trim(c.err.empty() ? c.out : c.err));
  }
  std::string id = trim(c.out);
  id = id.substr(0, id.find(';'));  // "123;cluster"
  if (!std::regex_match(id, std::regex("[0-9_]+"))) throw RuntimeError("sbatch printed no job id: '" + trim(c.out) + "'");
  return id;
}

JobState query(const std::string& id) {
  JobState s;
  Captured c = run_capture({"scontrol", "show", "job", "-o", id});
  std::smatch m;
  if (c.exit_code == 0 && std::regex_search(c.out, m, std::regex("JobState=(\\S+)"))) {
    s.state = m[1];
    s.source = "scontrol";
    if (std::regex_search(c.out, m, std::regex("ExitCode=(\\S+)"))) s.exit_code = m[1];
    if (std::regex_search(c.out, m, std::regex("Reason=(\\S+)"))) s.reason = m[1];
    if (std::regex_search(c.out, m, std::regex("Restarts=(\\d+)"))) s.restarts = std::stoll(m[1]);
    return s;
  }
  for (bool completion : {false, true}) {  // accounting, then the job-completion log
    std::vector<std::string> argv = {"sacct", "-j", id, "-n", "-X", "-P", "-o", "State,ExitCode"};
    if (completion) argv = {"sacct", "-c", "-j", id, "-n", "-P", "-o", "State"};
    Captured a = run_capture(argv);
    std::string first = trim(a.out.substr(0, a.out.find('\n')));
    if (a.exit_code == 0 && !first.empty()) {
      auto parts = split(first, '|');
      s.state = trim(parts[0]);
      if (parts.size() > 1) s.exit_code = trim(parts[1]);
      s.source = completion ? "sacct -c" : "sacct";
      return s;
    }
  }
  return s;
}

void cancel(const std::string& id) {
  Captured c = run_capture({"scancel", id});
  if (c.exit_code != 0) throw RuntimeError("scancel " + id + " failed: " + trim(c.err));
}

}  // namespace itwin::slurm
