// itwin submit: fill a SubmitRequest from the command line (slurm/submit.hpp does the rest).
#include "itwin/slurm/submit.hpp"

#include <CLI/CLI.hpp>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <memory>

#include "itwin/config/hpo_spec.hpp"
#include "itwin/config/load.hpp"
#include "itwin/config/slurm_spec.hpp"
#include "itwin/hpo/check.hpp"
#include "itwin/util/error.hpp"
#include "itwin/util/fs.hpp"
#include "itwin/util/strings.hpp"
#include "pipeline_args.hpp"
#include "setups.hpp"

namespace fs = std::filesystem;

namespace itwin::cli {
namespace {

struct SubmitOptions {
  PipelineArgs args;
  std::string profile, command = "train", save, run_root;
  slurm::JobFlags flags;
  std::vector<int64_t> scaling;
  bool dry_run = false;
};

std::string stamp() {
  std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%d-%H%M%S", std::gmtime(&t));
  return buf;
}

// A study is one job: its controller in the batch step, its trials job steps
// of the allocation. What `itwin hpo` would reject inside the job is rejected
// here, before anything is written or submitted. Returns the tuned pipeline.
std::string check_study(const config::Config& cfg, const PipelineArgs& a, const SubmitOptions& o,
                        const slurm::Settings& s) {
  if (!cfg.hpo.present)
    throw ConfigError(a.config + ": has no 'hpo:' section to run a study from (see docs/hpo.md)");
  if (!a.pipeline.empty() || !a.steps.empty()) {
    throw UsageError(
        "--command hpo: a study tunes the file's hpo.pipeline; --pipeline and --steps do not "
        "apply");
  }
  if (!o.scaling.empty())
    throw UsageError("--command hpo: a study is one job; --scaling does not apply");
  hpo::check_space(cfg, a.config, a.sets);
  hpo::check_trials(cfg.hpo);
  hpo::plan_concurrency(cfg.hpo, static_cast<int>(s.nodes * slurm::tasks_per_node(s)));
  return cfg.hpo.pipeline;
}

int run_submit(const SubmitOptions& o) {
  PipelineArgs a = o.args;
  if (!o.profile.empty()) a.sets.insert(a.sets.begin(), "slurm.profile=" + o.profile);
  config::Config cfg = load_from_args(a);
  slurm::SubmitRequest r;
  r.settings = slurm::apply_flags(cfg.slurm, o.flags);
  if (o.command == "hpo") {
    r.pipeline = check_study(cfg, a, o, r.settings);
    // The study's own snapshot (includes merged, ${} kept, --set applied): a
    // space over vars.* must still reach the keys that refer to it, and
    // best.yaml is this file with the best values.
    r.config_yaml =
        config::apply_to_snapshot(config::snapshot_config(a.config), a.config, a.sets, {});
  } else {
    config::Pipeline p = select_for_command(cfg, a,
                                            o.command == "infer"   ? "inference"
                                            : o.command == "train" ? "training"
                                                                   : "");
    r.pipeline = p.name;
    r.steps = a.steps;
    r.config_yaml = config::to_yaml(cfg.resolved);
  }
  r.profile = cfg.slurm_profile;
  r.command = o.command;
  r.source = cfg.source;
  r.run_name = cfg.run.name;
  r.run_root =
      fs::absolute(o.run_root.empty() ? cfg.run.root : o.run_root).lexically_normal().string();
  r.itwin = fs::read_symlink("/proc/self/exe").string();
  r.scaling = o.scaling;
  r.stamp = stamp();
  if (o.dry_run || !o.save.empty()) {
    auto jobs = slurm::plan_jobs(r);
    for (const auto& j : jobs) {
      std::string save = o.save;
      if (!save.empty() && jobs.size() > 1) save += "-n" + std::to_string(j.job.s.nodes);
      if (!save.empty()) write_file_atomic(save, j.script);
      if (o.dry_run) std::fputs(j.script.c_str(), stdout);
    }
    if (o.dry_run) return 0;
  }
  auto scheduler = slurm::slurm_scheduler();
  for (const auto& rec : slurm::submit_jobs(r, *scheduler)) {
    std::printf(
        "submitted job %s (%s, %lld node%s, profile %s)\n  log:     %s\n  run dir: %s\n  follow:  "
        "itwin jobs logs %s -f\n",
        rec.id.c_str(), rec.name.c_str(), static_cast<long long>(rec.nodes),
        rec.nodes == 1 ? "" : "s", rec.profile.c_str(), rec.log.c_str(), rec.run_dir.c_str(),
        rec.id.c_str());
  }
  if (std::string g = slurm::study_group(r); !g.empty()) {
    std::printf("scaling study %s: %s/%s/scaling.json (itwin report %s/%s)\n", g.c_str(),
                r.run_root.c_str(), g.c_str(), r.run_root.c_str(), g.c_str());
  }
  return 0;
}

}  // namespace

Runner setup_submit(CLI::App& cmd, const Invocation&) {
  auto o = std::make_shared<SubmitOptions>();
  add_pipeline_args(&cmd, o->args, true);
  cmd.add_option("--profile", o->profile,
                 "cluster profile: a built-in name (" + join(config::builtin_profiles(), ", ") +
                     "), one in ~/.config/itwin/profiles, or a path");
  cmd.add_option("--command", o->command,
                 "what each rank runs: train, run or infer; hpo runs the file's study once, its "
                 "trials as job steps of the allocation")
      ->check(CLI::IsMember({"train", "run", "infer", "hpo"}));
  auto& f = o->flags;
  cmd.add_option("--nodes", f.nodes, "nodes")->check(CLI::Range(1, 100000));
  cmd.add_option("--ntasks-per-node", f.ntasks_per_node,
                 "ranks per node (default: GPUs per node, or 1)")
      ->check(CLI::Range(1, 4096));
  cmd.add_option("--gpus-per-node", f.gpus_per_node, "GPUs per node")->check(CLI::Range(0, 64));
  cmd.add_option("--cpus-per-task", f.cpus_per_task, "CPUs per rank")->check(CLI::Range(1, 4096));
  cmd.add_option("--time", f.time, "time limit (HH:MM:SS, D-HH:MM:SS, MM)");
  cmd.add_option("--partition", f.partition, "partition");
  cmd.add_option("--account", f.account, "account (project) to charge");
  cmd.add_option("--qos", f.qos, "quality of service");
  cmd.add_option("--mem", f.mem, "memory per node (e.g. 64G)");
  cmd.add_option("--job-name", f.job_name, "job name (default: run.name)");
  cmd.add_option("--run-root", o->run_root,
                 "where run directories go (default: run.root, made absolute)");
  cmd.add_option("--scaling", o->scaling,
                 "a scaling study: one job per node count, e.g. 1,2,4,8 (names get -nN)")
      ->delimiter(',')
      ->check(CLI::Range(1, 100000));
  cmd.add_flag("--dry-run", o->dry_run, "print the script(s); submit nothing");
  cmd.add_option("--save", o->save, "also write the script to this file");
  return [o] { return run_submit(*o); };
}

}  // namespace itwin::cli
