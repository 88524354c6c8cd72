// itwin submit: render the sbatch script of a pipeline and submit it.
#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <memory>

#include "itwin/cli/commands.hpp"
#include "itwin/config/load.hpp"
#include "itwin/slurm/jobs.hpp"
#include "itwin/util/error.hpp"
#include "itwin/util/fs.hpp"
#include "itwin/util/strings.hpp"
#include "pipeline_args.hpp"

namespace fs = std::filesystem;

namespace itwin::cli {
namespace {

struct SubmitOptions {
  PipelineArgs args;
  std::string profile, command = "train";
  int64_t nodes = 0, ntasks_per_node = -1, gpus_per_node = -1, cpus_per_task = -1;
  std::string time, partition, account, qos, mem, job_name, save, run_root;
  std::vector<int64_t> scaling;
  bool dry_run = false;
};

std::string absolute(const std::string& p) { return fs::absolute(p).lexically_normal().string(); }

std::string stamp() {
  std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%d-%H%M%S", std::gmtime(&t));
  return buf;
}

std::string self_exe() { return fs::read_symlink("/proc/self/exe").string(); }

void run_submit(const SubmitOptions& o) {
  PipelineArgs a = o.args;
  if (!o.profile.empty()) a.sets.insert(a.sets.begin(), "slurm.profile=" + o.profile);
  config::Config cfg = load_from_args(a);
  config::Pipeline p = select_for_command(cfg, a, o.command == "infer" ? "inference" : o.command == "train" ? "training" : "");

  // Profile defaults < the file's slurm: section < these flags.
  slurm::Job job;
  job.s = cfg.slurm;
  auto& s = job.s;
  if (o.nodes > 0) s.nodes = o.nodes;
  if (o.ntasks_per_node >= 0) s.ntasks_per_node = o.ntasks_per_node;
  if (o.gpus_per_node >= 0) s.gpus_per_node = o.gpus_per_node;
  if (o.cpus_per_task >= 0) s.cpus_per_task = o.cpus_per_task;
  for (auto [field, value] : std::vector<std::pair<std::string*, std::string>>{
           {&s.time, o.time}, {&s.partition, o.partition}, {&s.account, o.account}, {&s.qos, o.qos}, {&s.mem, o.mem},
           {&s.job_name, o.job_name}}) {
    if (!value.empty()) *field = value;
  }
  if (s.job_name.empty()) s.job_name = cfg.run.name;
  if (s.itwin.empty()) s.itwin = self_exe();
  s.log_dir = absolute(s.log_dir);
  job.profile = cfg.slurm_profile.name;
  job.command = o.command;
  job.pipeline = p.name;
  job.steps = a.steps;
  job.source = cfg.source;

  std::vector<int64_t> counts = o.scaling.empty() ? std::vector<int64_t>{s.nodes} : o.scaling;
  const std::string group = o.scaling.empty() ? "" : s.job_name + "-scaling-" + stamp();
  const std::string root = absolute(o.run_root.empty() ? cfg.run.root : o.run_root);
  // The job runs a snapshot of the resolved config: editing the file later
  // does not change a queued job.
  const std::string snapshot = s.log_dir + "/" + s.job_name + "-" + stamp() + ".yaml";
  for (int64_t n : counts) {
    slurm::Job j = job;
    j.s.nodes = n;
    if (!o.scaling.empty()) j.s.job_name = s.job_name + "-n" + std::to_string(n);
    j.config = snapshot;
    j.run_dir = root + "/" + j.s.job_name + "-";  // + $SLURM_JOB_ID: a requeued job finds its checkpoints
    slurm::validate(j, cfg.slurm_profile);
    std::string script = slurm::render(j);
    std::string save = o.save;
    if (!save.empty() && counts.size() > 1) save += "-n" + std::to_string(n);
    if (!save.empty()) write_file_atomic(save, script);
    if (o.dry_run) {
      std::fputs(script.c_str(), stdout);
      continue;
    }
    fs::create_directories(s.log_dir);
    if (!fs::exists(snapshot)) write_file_atomic(snapshot, config::to_yaml(cfg.resolved));
    std::string path = s.log_dir + "/" + j.s.job_name + "-" + stamp() + ".sbatch";
    write_file_atomic(path, script);
    std::string id = slurm::sbatch(path);
    slurm::JobRecord r;
    r.id = id;
    r.name = j.s.job_name;
    r.config = snapshot;
    r.pipeline = p.name;
    r.script = path;
    r.log = s.log_dir + "/" + j.s.job_name + "-" + id + ".out";
    r.run_dir = j.run_dir + id;
    r.profile = job.profile;
    r.group = group;
    r.nodes = n;
    r.submitted = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
    slurm::add_record(r);
    std::printf("submitted job %s (%s, %lld node%s, profile %s)\n  log:     %s\n  run dir: %s\n  follow:  itwin jobs logs %s -f\n",
                id.c_str(), r.name.c_str(), static_cast<long long>(n), n == 1 ? "" : "s", job.profile.c_str(), r.log.c_str(),
                r.run_dir.c_str(), id.c_str());
  }
}

}  // namespace

void setup_submit(CLI::App& app) {
  auto o = std::make_shared<SubmitOptions>();
  auto* cmd = app.add_subcommand(
      "submit",
      "Render a complete sbatch script for the pipeline (cluster profile + the file's slurm: section + these flags) "
      "and submit it with sbatch. The job starts the ranks itself and runs itwin on each with a snapshot of the "
      "resolved config; near the time limit it checkpoints and requeues itself.");
  add_pipeline_args(cmd, o->args, true);
  cmd->add_option("--profile", o->profile, "cluster profile: a built-in name (generic, juwels-booster, lumi-g, leonardo, vega), "
                                            "one in ~/.config/itwin/profiles, or a path");
  cmd->add_option("--command", o->command, "what each rank runs: train, run or infer")->check(CLI::IsMember({"train", "run", "infer"}));
  cmd->add_option("--nodes", o->nodes, "nodes")->check(CLI::Range(1, 100000));
  cmd->add_option("--ntasks-per-node", o->ntasks_per_node, "ranks per node (default: GPUs per node, or 1)")->check(CLI::Range(1, 4096));
  cmd->add_option("--gpus-per-node", o->gpus_per_node, "GPUs per node")->check(CLI::Range(0, 64));
  cmd->add_option("--cpus-per-task", o->cpus_per_task, "CPUs per rank")->check(CLI::Range(1, 4096));
  cmd->add_option("--time", o->time, "time limit (HH:MM:SS, D-HH:MM:SS, MM)");
  cmd->add_option("--partition", o->partition, "partition");
  cmd->add_option("--account", o->account, "account (project) to charge");
  cmd->add_option("--qos", o->qos, "quality of service");
  cmd->add_option("--mem", o->mem, "memory per node (e.g. 64G)");
  cmd->add_option("--job-name", o->job_name, "job name (default: run.name)");
  cmd->add_option("--run-root", o->run_root, "where run directories go (default: run.root, made absolute)");
  cmd->add_option("--scaling", o->scaling, "a scaling study: one job per node count, e.g. 1,2,4,8 (names get -nN)")
      ->delimiter(',')->check(CLI::Range(1, 100000));
  cmd->add_flag("--dry-run", o->dry_run, "print the script(s); submit nothing");
  cmd->add_option("--save", o->save, "also write the script to this file");
  cmd->callback([o] { run_submit(*o); });
}

}  // namespace itwin::cli
