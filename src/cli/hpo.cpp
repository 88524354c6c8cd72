// itwin hpo: run (or continue) a hyper-parameter study here, or show one.
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>

#include "itwin/config/hpo_spec.hpp"
#include "itwin/hpo/check.hpp"
#include "itwin/hpo/controller.hpp"
#include "itwin/hpo/report.hpp"
#include "itwin/hpo/scheduler.hpp"
#include "itwin/hpo/tracking.hpp"
#include "itwin/hpo/zygote.hpp"
#include "itwin/launch/openmp.hpp"
#include "itwin/util/error.hpp"
#include "itwin/util/fs.hpp"
#include "itwin/util/strings.hpp"
#include "itwin/util/sysinfo.hpp"
#include "setups.hpp"
#include "torch_side.hpp"

namespace fs = std::filesystem;

namespace itwin::cli {
namespace {

struct HpoOptions {
  std::string config;
  std::vector<std::string> sets;
  std::string study_dir;
  int nproc = 0;
  bool resume = false;
  bool dry_run = false;
  std::string show_dir;
  bool json = false;
};

int available_ranks(int nproc) {
  if (nproc > 0) return nproc;
  const char* n = std::getenv("SLURM_NTASKS");
  return n && std::getenv("SLURM_JOB_ID") ? std::atoi(n) : 0;
}

// The study's lock: one controller per study directory. Released by the
// kernel when this process dies, however it dies.
void lock_study(const std::string& dir) {
  int fd = ::open((dir + "/lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) throw_errno("cannot open " + dir + "/lock");
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    throw RuntimeError("another itwin hpo is running the study in " + dir + " (it holds " + dir +
                       "/lock)");
  }
  std::string pid = std::to_string(::getpid()) + "\n";
  (void)!::ftruncate(fd, 0);
  (void)!::write(fd, pid.data(), pid.size());
}

void print_plan(const config::Config& cfg, const std::string& dir, int concurrency) {
  const auto& h = cfg.hpo;
  std::printf("study %s: pipeline %s, %s %s (%s), %lld trials, %d at once of %lld rank(s)\n",
              dir.c_str(), h.pipeline.c_str(), config::name_of(h.mode), h.metric.c_str(),
              config::name_of(h.score), static_cast<long long>(h.trials), concurrency,
              static_cast<long long>(h.ranks_per_trial));
  std::printf("sampler %s, scheduler %s, max_t %lld epochs\n", config::name_of(h.sampler.kind),
              config::name_of(h.scheduler.kind), static_cast<long long>(h.scheduler.max_t));
  if (h.scheduler.kind == config::TrialSchedulerKind::Asha) {
    for (int b = 0; b < h.scheduler.brackets; ++b) {
      std::vector<std::string> r;
      for (auto e : hpo::asha_rungs(h.scheduler, b)) r.push_back(std::to_string(e));
      std::printf("  bracket %d: rungs at epochs %s, then %lld\n", b,
                  r.empty() ? "(none)" : join(r, ", ").c_str(),
                  static_cast<long long>(h.scheduler.max_t));
    }
  }
  if (h.scheduler.kind == config::TrialSchedulerKind::Hyperband) {
    int b = 0;
    for (const auto& br : hpo::hyperband_brackets(h.scheduler)) {
      std::vector<std::string> r;
      for (auto e : br.rungs) r.push_back(std::to_string(e));
      std::printf("  bracket %d: %lld trials, rungs at epochs %s\n", b++,
                  static_cast<long long>(br.trials), join(r, ", ").c_str());
    }
  }
  for (const auto& p : h.space) {
    hpo::Value lo, hi;
    lo.number = p.low;
    hi.number = p.high;
    std::string what = hpo::is_numeric(p)
                           ? "[" + hpo::value_text(p, lo) + ", " + hpo::value_text(p, hi) + "]"
                           : "{" + join(p.values, ", ") + "}";
    if (p.step > 0) {
      hpo::Value st;
      st.number = p.step;
      what += " step " + hpo::value_text(p, st);
    }
    std::printf("  %-56s %-10s %s%s\n", p.key.c_str(), config::name_of(p.type), what.c_str(),
                p.when_key.empty() ? "" : (" when " + p.when_key).c_str());
  }
}

// The trial zygote of a local study of one-rank trials (hpo/zygote.hpp).
// Its OpenMP wait policy is fixed when it loads, for every trial it forks:
// the choice the front makes for one trial (launch/openmp.hpp), counting the
// trials that will run at once.
hpo::ZygoteOptions zygote_options(const config::Config& cfg, const std::string& dir,
                                  const hpo::ControllerOptions& co, int concurrency,
                                  hpo::LiveTable& table) {
  hpo::ZygoteOptions z;
  z.worker = rank_program();
  z.config = co.config;
  z.pipeline = cfg.hpo.pipeline;
  z.log = dir + "/logs/zygote.log";
  const int threads = co.threads > 0 ? co.threads : static_cast<int>(cfg.run.threads);
  const char* user = std::getenv("OMP_WAIT_POLICY");
  z.wait_policy = user ? user
                       : launch::wait_policy(threads, concurrency, cores_available(),
                                             threads > 1 ? launch::runnable_elsewhere() : 0.0);
  z.note = [&table](const std::string& text) { table.note(text); };
  return z;
}

int run_study(const HpoOptions& o) {
  if (o.config.empty())
    throw UsageError(
        "itwin hpo: give the pipeline file (CONFIG), or use 'itwin hpo show STUDY_DIR'");
  // 1. Everything is checked before anything is written or started.
  config::LoadOptions lo;
  lo.overrides = o.sets;
  config::Config cfg = config::load_config(o.config, lo);
  if (!cfg.hpo.present) {
    throw ConfigError(o.config + ": has no 'hpo:' section to run a study from (see docs/hpo.md)");
  }
  hpo::check_space(cfg, o.config, o.sets);
  hpo::check_trials(cfg.hpo);
  const int concurrency = hpo::plan_concurrency(cfg.hpo, available_ranks(o.nproc));
  const std::string dir = o.study_dir.empty() ? cfg.hpo.dir : o.study_dir;
  const std::string snapshot =
      config::apply_to_snapshot(config::snapshot_config(o.config), o.config, o.sets, {});
  const bool exists = fs::exists(hpo::journal_path(dir));
  if (o.resume && !exists)
    throw UsageError("--resume: no study in '" + dir + "' to continue (no journal.jsonl)");
  if (exists && fs::exists(hpo::snapshot_path(dir)) &&
      read_file(hpo::snapshot_path(dir)) != snapshot) {
    throw ConfigError(
        o.config + ": differs from the config of the study in " + dir + " (" +
        hpo::snapshot_path(dir) +
        "); continue it with the same file and --set, or start a new study with --study-dir");
  }
  if (o.dry_run) {
    print_plan(cfg, dir, concurrency);
    std::printf("%s study; nothing was started (--dry-run)\n",
                exists ? "would continue the" : "would start a new");
    return kExitOk;
  }
  // 2. The study directory, its lock, its snapshot, its tracking.
  fs::create_directories(dir);
  lock_study(dir);
  if (!exists) write_file_atomic(hpo::snapshot_path(dir), snapshot);
  hpo::StudyTracking tracking(cfg, dir);
  hpo::ControllerOptions co;
  co.study_dir = dir;
  co.config = hpo::snapshot_path(dir);
  co.run_name = cfg.run.name;
  co.concurrency = concurrency;
  co.epochs = hpo::trainer_epochs(cfg);
  co.trial_sets = tracking.trial_sets();
  hpo::LaunchEnv env = hpo::detect_launch_env();
  if (!env.slurm && cfg.run.threads == 0) {  // the cores, shared by every rank of every trial
    co.threads = std::max<int>(
        1, cores_available() /
               std::max<int>(1, concurrency * static_cast<int>(cfg.hpo.ranks_per_trial)));
  }
  co.on_final = [](const hpo::Trial& t, const std::string& trial_dir) {
    hpo::mark_trial_runs(trial_dir, t.status == hpo::Status::kCompleted ? "FINISHED"
                                    : t.status == hpo::Status::kFailed  ? "FAILED"
                                                                        : "KILLED");
  };
  co.on_best = [&](int64_t done, double best) { tracking.log_best(done, cfg.hpo.metric, best); };
  // 3. Run.
  hpo::install_controller_signals();
  hpo::LiveTable table(stdout, ::isatty(STDOUT_FILENO) != 0);
  const bool zygote = cfg.hpo.fork_trials && !env.slurm && cfg.hpo.ranks_per_trial == 1;
  auto runner = zygote
                    ? hpo::make_zygote_runner(zygote_options(cfg, dir, co, concurrency, table), env)
                    : hpo::make_process_runner(env);
  hpo::Controller controller(cfg.hpo, co, *runner, table);
  table.note(std::string(exists ? "continuing" : "starting") + " study " + dir + ": " +
             std::to_string(concurrency) + " trial(s) at once, " +
             (env.slurm ? "srun job steps"
              : zygote  ? "local processes forked from a trial zygote (hpo.isolation: fork)"
                        : "local processes"));
  const int rc = controller.run();
  tracking.close(rc == kExitOk ? "FINISHED" : "KILLED");
  table.release();
  std::fputs(hpo::report_text(controller.study(), dir).c_str(), stdout);
  return rc;
}

int show_study(const HpoOptions& o) {
  hpo::Study study = hpo::load_study(o.show_dir);
  if (o.json) {
    hpo::write_best_yaml(study, o.show_dir);
    std::cout << hpo::study_json(study, o.show_dir).dump(2) << "\n";
    return kExitOk;
  }
  std::fputs(hpo::report_text(study, o.show_dir).c_str(), stdout);
  return kExitOk;
}

}  // namespace

Runner setup_hpo(CLI::App& cmd_ref, const Invocation&) {
  auto* cmd = &cmd_ref;
  auto o = std::make_shared<HpoOptions>();
  cmd->add_option("config", o->config, "pipeline YAML file with an hpo: section");
  cmd->add_option("--set", o->sets,
                  "override a value of CONFIG (repeatable; see itwin train --help)")
      ->allow_extra_args(false);
  cmd->add_option(
         "--nproc", o->nproc,
         "ranks available to the study (default: SLURM_NTASKS in an allocation); concurrency x "
         "ranks_per_trial must fit")
      ->check(CLI::Range(1, 100000));
  cmd->add_option("--study-dir", o->study_dir,
                  "study directory (default: hpo.dir, else <run.root>/<run.name>-hpo)");
  cmd->add_flag("--resume", o->resume,
                "continue the study in the study directory (an error if there is none)");
  cmd->add_flag("--dry-run", o->dry_run, "check everything and print the plan; start nothing");
  auto* show = cmd->add_subcommand(
      "show", "the ranked trials, the best one, best.yaml and the plots of a study");
  show->add_option("study_dir", o->show_dir, "study directory")->required();
  show->add_flag("--json", o->json, "print JSON");
  cmd->footer(
      "Runs the study of CONFIG's hpo: section here (random, grid or TPE sampling; fifo, ASHA, "
      "Hyperband or median "
      "stopping), each trial a separate itwin train run. Running it again (or --resume) continues "
      "an interrupted "
      "study. See docs/hpo.md.");
  return [o, show]() -> int { return show->parsed() ? show_study(*o) : run_study(*o); };
}

}  // namespace itwin::cli
