// The real SLURM behind the Scheduler seam.
#include "itwin/slurm/scheduler.hpp"

#include <regex>

#include "itwin/util/error.hpp"
#include "itwin/util/process.hpp"
#include "itwin/util/strings.hpp"

namespace itwin::slurm {
namespace {

class SlurmScheduler : public Scheduler {
 public:
  std::string submit(const std::string& path) override {
    Captured c = run_capture({"sbatch", "--parsable", path});
    if (c.exit_code != 0) {
      throw RuntimeError("sbatch failed (exit " + std::to_string(c.exit_code) +
                         "): " + trim(c.err.empty() ? c.out : c.err));
    }
    std::string id = trim(c.out);
    id = id.substr(0, id.find(';'));  // "123;cluster"
    if (!std::regex_match(id, std::regex("[0-9_]+")))
      throw RuntimeError("sbatch printed no job id: '" + trim(c.out) + "'");
    return id;
  }

  JobState query(const std::string& id) override {
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

  void cancel(const std::string& id) override {
    Captured c = run_capture({"scancel", id});
    if (c.exit_code != 0) throw RuntimeError("scancel " + id + " failed: " + trim(c.err));
  }
};

}  // namespace

std::unique_ptr<Scheduler> slurm_scheduler() { return std::make_unique<SlurmScheduler>(); }

}  // namespace itwin::slurm
