// itwin jobs: what itwin submitted, and what SLURM says about it.
#include "itwin/slurm/jobs.hpp"

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <thread>

#include "itwin/slurm/scheduler.hpp"
#include "itwin/util/error.hpp"
#include "itwin/util/strings.hpp"
#include "setups.hpp"

namespace itwin::cli {
namespace {

struct JobsOptions {
  std::string id;
  bool json = false, follow = false;
  double timeout = 0, interval = 2;
};

int list(const JobsOptions& o) {
  auto rs = slurm::records();
  nlohmann::json j = nlohmann::json::array();
  if (!o.json)
    std::printf("%-10s %-28s %-12s %5s  %-19s %s\n", "JOBID", "NAME", "STATE", "NODES", "SUBMITTED",
                "LOG");
  for (const auto& r : rs) {
    auto st = slurm::slurm_scheduler()->query(r.id);
    std::string when = format_local_time(r.submitted, true);
    if (o.json) {
      j.push_back({{"id", r.id},
                   {"name", r.name},
                   {"state", st.state},
                   {"nodes", r.nodes},
                   {"submitted", r.submitted},
                   {"log", r.log},
                   {"run_dir", r.run_dir},
                   {"group", r.group}});
    } else {
      std::printf("%-10s %-28s %-12s %5lld  %-19s %s\n", r.id.c_str(), r.name.c_str(),
                  st.state.c_str(), static_cast<long long>(r.nodes), when.c_str(), r.log.c_str());
    }
  }
  if (o.json) std::cout << j.dump(2) << "\n";
  return 0;
}

int status(const JobsOptions& o) {
  auto r = slurm::find_record(o.id);
  auto st = slurm::slurm_scheduler()->query(o.id);
  if (o.json) {
    nlohmann::json j = {{"id", r.id},           {"name", r.name},
                        {"state", st.state},    {"exit_code", st.exit_code},
                        {"reason", st.reason},  {"restarts", st.restarts},
                        {"source", st.source},  {"log", r.log},
                        {"run_dir", r.run_dir}, {"script", r.script},
                        {"config", r.config}};
    std::cout << j.dump(2) << "\n";
    return 0;
  }
  std::printf(
      "job %s (%s): %s%s%s, restarts %lld (from %s)\n  log:     %s\n  run dir: %s\n  script:  %s\n",
      r.id.c_str(), r.name.c_str(), st.state.c_str(),
      st.exit_code.empty() ? "" : (", exit code " + st.exit_code).c_str(),
      st.reason.empty() || st.reason == "None" ? "" : (", reason " + st.reason).c_str(),
      static_cast<long long>(st.restarts), st.source.c_str(), r.log.c_str(), r.run_dir.c_str(),
      r.script.c_str());
  return 0;
}

// Polls SLURM until the job reaches a state it will not leave.
slurm::JobState wait_for(const std::string& id, double timeout, double interval,
                         const std::function<void()>& each = {}) {
  auto start = std::chrono::steady_clock::now();
  for (;;) {
    auto st = slurm::slurm_scheduler()->query(id);
    if (each) each();
    if (st.finished()) return st;
    if (timeout > 0 &&
        std::chrono::steady_clock::now() - start > std::chrono::duration<double>(timeout)) {
      throw Error("job " + id + " is still " + st.state + " after " +
                      std::to_string(static_cast<int>(timeout)) + " s",
                  kExitFailure);
    }
    std::this_thread::sleep_for(std::chrono::duration<double>(interval));  // polling SLURM
  }
}

int logs(const JobsOptions& o) {
  auto r = slurm::find_record(o.id);
  std::streamoff shown = 0;
  auto show_new = [&] {
    std::ifstream in(r.log);
    if (!in) return;
    in.seekg(shown);
    std::string chunk((std::istreambuf_iterator<char>(in)), {});
    std::fputs(chunk.c_str(), stdout);
    std::fflush(stdout);
    shown += static_cast<std::streamoff>(chunk.size());
  };
  if (!o.follow) {
    std::ifstream in(r.log);
    if (!in)
      throw RuntimeError("no log yet for job " + o.id + " (" + r.log + "); is it still pending?");
    show_new();
    return 0;
  }
  wait_for(o.id, o.timeout, 1.0, show_new);
  show_new();
  return 0;
}

int wait(const JobsOptions& o) {
  slurm::find_record(o.id);
  auto st = wait_for(o.id, o.timeout, o.interval);
  std::printf("job %s: %s%s\n", o.id.c_str(), st.state.c_str(),
              st.exit_code.empty() ? "" : (" (exit code " + st.exit_code + ")").c_str());
  return st.state == "COMPLETED" ? 0 : kExitFailure;
}

}  // namespace

Runner setup_jobs(CLI::App& jobs, const Invocation&) {
  auto o = std::make_shared<JobsOptions>();
  auto* l = jobs.add_subcommand("list", "every job itwin submitted, with its current state");
  l->add_flag("--json", o->json, "print JSON");
  auto* s =
      jobs.add_subcommand("status", "state, exit code, restarts, log and run directory of one job");
  s->add_option("id", o->id, "job id")->required();
  s->add_flag("--json", o->json, "print JSON");
  auto* g = jobs.add_subcommand("logs", "print the job's output (-f: follow until it ends)");
  g->add_option("id", o->id, "job id")->required();
  g->add_flag("-f,--follow", o->follow, "keep printing new output until the job ends");
  g->add_option("--timeout", o->timeout, "give up following after this many seconds (0 = never)");
  auto* c = jobs.add_subcommand("cancel", "cancel the job (scancel)");
  c->add_option("id", o->id, "job id")->required();
  auto* w = jobs.add_subcommand("wait", "wait until the job ends; exit 0 only if it COMPLETED");
  w->add_option("id", o->id, "job id")->required();
  w->add_option("--timeout", o->timeout, "give up after this many seconds (0 = never)");
  w->add_option("--interval", o->interval, "seconds between checks")
      ->check(CLI::Range(0.1, 3600.0));
  return dispatch_sub(jobs, {{l, [o] { return list(*o); }},
                             {s, [o] { return status(*o); }},
                             {g, [o] { return logs(*o); }},
                             {c,
                              [o] {
                                slurm::find_record(o->id);
                                slurm::slurm_scheduler()->cancel(o->id);
                                std::printf("cancelled job %s\n", o->id.c_str());
                                return 0;
                              }},
                             {w, [o] { return wait(*o); }}});
}

}  // namespace itwin::cli
