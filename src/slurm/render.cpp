// The sbatch script: validation and a pure render from slurm/templates/job.sh.
#include <regex>
#include <sstream>

#include "itwin/slurm/job.hpp"
#include "itwin/util/error.hpp"
#include "itwin/util/strings.hpp"
#include "itwin/util/version.hpp"

namespace itwin::slurm {

extern const char* const kJobTemplate;  // slurm/templates/job.sh, embedded at build time

namespace {

const std::regex kWord("[A-Za-z0-9_.,:+/=@%-]+");  // safe inside an #SBATCH line

void check_word(const std::string& what, const std::string& v) {
  if (!v.empty() && !std::regex_match(v, kWord)) {
    throw ConfigError("slurm: " + what + " '" + v + "' may only hold letters, digits and _.,:+/=@%- (no spaces or quotes)");
  }
}

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (size_t p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size())) s.replace(p, from.size(), to);
  return s;
}

std::string join_quoted(const std::vector<std::string>& words) {
  std::vector<std::string> q;
  for (const auto& w : words) q.push_back(shell_quote(w));
  return join(q, " ");
}

}  // namespace

int64_t tasks_per_node(const Settings& s) {
  return s.ntasks_per_node > 0 ? s.ntasks_per_node : std::max<int64_t>(1, s.gpus_per_node);
}

std::string shell_quote(const std::string& s) {
  if (!s.empty() && std::regex_match(s, std::regex("[A-Za-z0-9_./=:@%+,-]+"))) return s;
  return "'" + replace_all(s, "'", "'\\''") + "'";
}

int64_t parse_time_minutes(const std::string& t) {
  std::smatch m;
  auto n = [&](int i) { return m[i].matched && m[i].length() ? std::stoll(m[i]) : 0LL; };
  if (std::regex_match(t, m, std::regex("(\\d+)"))) return n(1);
  if (std::regex_match(t, m, std::regex("(\\d+):(\\d{1,2})"))) return m[2].length() && std::stoll(m[2]) < 60 ? n(1) + (n(2) > 0) : -1;
  if (std::regex_match(t, m, std::regex("(\\d+):(\\d{1,2}):(\\d{1,2})"))) {
    if (n(2) >= 60 || n(3) >= 60) return -1;
    return n(1) * 60 + n(2) + (n(3) > 0);
  }
  if (std::regex_match(t, m, std::regex("(\\d+)-(\\d{1,2})(?::(\\d{1,2}))?(?::(\\d{1,2}))?"))) {
    if (n(2) >= 24 || n(3) >= 60 || n(4) >= 60) return -1;
    return n(1) * 1440 + n(2) * 60 + n(3) + (n(4) > 0);
  }
  return -1;
}

void validate(const Job& job, const Profile& p) {
  const Settings& s = job.s;
  if (s.job_name.empty() || !std::regex_match(s.job_name, std::regex("[A-Za-z0-9_.-]+"))) {
    throw ConfigError("slurm: job_name '" + s.job_name + "' may only hold letters, digits, '_', '.' and '-'");
  }
  int64_t minutes = parse_time_minutes(s.time);
  if (minutes <= 0) {
    throw ConfigError("slurm: time '" + s.time + "' is not a SLURM time (MM, HH:MM:SS, D-HH:MM:SS, ...)");
  }
  if (!p.max_time.empty() && minutes > parse_time_minutes(p.max_time)) {
    throw ConfigError("slurm: time " + s.time + " is longer than profile '" + p.name + "' allows (" + p.max_time + ")");
  }
  if (s.warn_seconds >= minutes * 60) {
    throw ConfigError("slurm: requeue.warn_seconds (" + std::to_string(s.warn_seconds) + ") must be shorter than the time limit " + s.time);
  }
  if (p.max_gpus_per_node >= 0 && s.gpus_per_node > p.max_gpus_per_node) {
    throw ConfigError("slurm: " + std::to_string(s.gpus_per_node) + " GPUs per node asked, but profile '" + p.name +
                      "' nodes have " + std::to_string(p.max_gpus_per_node));
  }
  if (p.cpus_per_node > 0 && tasks_per_node(s) * std::max<int64_t>(1, s.cpus_per_task) > p.cpus_per_node) {
    throw ConfigError("slurm: " + std::to_string(tasks_per_node(s)) + " tasks x " + std::to_string(s.cpus_per_task) +
                      " CPUs per node asked, but profile '" + p.name + "' nodes have " + std::to_string(p.cpus_per_node) + " CPUs");
  }
  for (const auto& [what, v] : std::vector<std::pair<std::string, std::string>>{
           {"partition", s.partition}, {"account", s.account}, {"qos", s.qos}, {"mem", s.mem},
           {"constraint", s.constraint}, {"reservation", s.reservation}, {"mpi", s.mpi}, {"gpu_bind", s.gpu_bind},
           {"cpu_bind", s.cpu_bind}, {"log_dir", s.log_dir}}) {
    check_word(what, v);
  }
  for (const auto& a : s.sbatch_args) {
    if (!std::regex_match(a, std::regex("--[A-Za-z][A-Za-z0-9-]*(=[A-Za-z0-9_.,:+/=@%-]*)?"))) {
      throw ConfigError("slurm: sbatch_args entry '" + a + "' must look like --option or --option=value (no spaces or quotes)");
    }
  }
  for (const auto& [k, v] : s.env) {
    if (!std::regex_match(k, std::regex("[A-Za-z_][A-Za-z0-9_]*"))) throw ConfigError("slurm: env name '" + k + "' is not a valid variable name");
  }
  if (job.command == "hpo" && !s.container.image.empty()) {
    throw ConfigError(
        "slurm: container: a study (--command hpo) cannot run in a container yet: its controller "
        "starts each trial with srun, outside any container; remove slurm.container for this job");
  }
}

namespace {

// The ranks of a run: the launcher starts itwin on every rank, in the container if any.
std::string rank_command(const Job& job) {
  const Settings& s = job.s;
  const int64_t tpn = tasks_per_node(s);
  std::vector<std::string> launch;
  if (s.launcher == "srun") {
    launch = {"srun", "--nodes=" + std::to_string(s.nodes), "--ntasks-per-node=" + std::to_string(tpn)};
    if (s.cpus_per_task > 0) launch.push_back("--cpus-per-task=" + std::to_string(s.cpus_per_task));
    launch.push_back("--mpi=" + s.mpi);
    if (!s.cpu_bind.empty()) launch.push_back("--cpu-bind=" + s.cpu_bind);
    if (!s.gpu_bind.empty() && s.gpus_per_node > 0) launch.push_back("--gpu-bind=" + s.gpu_bind);
    launch.push_back("--kill-on-bad-exit=1");
  } else {
    launch = {"mpirun", "-np", "${SLURM_NTASKS}", "--map-by", "ppr:" + std::to_string(tpn) + ":node", "--bind-to", "core"};
  }
  std::string cmd;
  for (const auto& w : launch) cmd += (cmd.empty() ? "" : " ") + (w == "${SLURM_NTASKS}" ? "\"${SLURM_NTASKS}\"" : shell_quote(w));
  if (!s.srun_args.empty() && s.launcher == "srun") cmd += " " + join_quoted(s.srun_args);
  if (!s.container.image.empty()) {
    std::vector<std::string> c = {s.container.runtime, "exec"};
    if (s.gpus_per_node > 0 && s.container.args.empty()) c.push_back("--nv");
    c.insert(c.end(), s.container.args.begin(), s.container.args.end());
    for (const auto& b : s.container.binds) c.insert(c.end(), {"--bind", b});
    c.push_back(s.container.image);
    cmd += " " + join_quoted(c);
  }
  std::vector<std::string> itwin = {s.itwin, job.command, job.config};
  if (!job.pipeline.empty()) itwin.insert(itwin.end(), {"--pipeline", job.pipeline});
  if (!job.steps.empty()) itwin.insert(itwin.end(), {"--steps", join(job.steps, ",")});
  itwin.insert(itwin.end(), {"--set", "run.resume=auto", "--run-dir"});
  cmd += " \\\n  " + join_quoted(itwin) + " " + shell_quote(job.run_dir) + "\"${SLURM_JOB_ID}\"";
  return cmd;
}

// A study (itwin hpo): its controller runs once, here in the batch step; it
// starts every trial as a job step (srun --exact) of this allocation, so the
// allocation is the pool of workers (docs/hpo.md). A requeued job finds its
// study directory (fixed by the job id) and continues the study.
std::string study_command(const Job& job) {
  const Settings& s = job.s;
  std::string cmd = "# The study's controller; its trials are srun job steps of this allocation.\n";
  // The steps' launch settings, through srun's input variables (srun_args cannot follow). srun >=
  // 22.05 does not inherit the job's --cpus-per-task.
  if (s.cpus_per_task > 0)
    cmd += "export SRUN_CPUS_PER_TASK=" + std::to_string(s.cpus_per_task) + "\n";
  if (s.launcher == "srun" && !s.mpi.empty())
    cmd += "export SLURM_MPI_TYPE=" + shell_quote(s.mpi) + "\n";
  if (!s.cpu_bind.empty()) cmd += "export SLURM_CPU_BIND=" + shell_quote(s.cpu_bind) + "\n";
  if (!s.gpu_bind.empty() && s.gpus_per_node > 0)
    cmd += "export SLURM_GPU_BIND=" + shell_quote(s.gpu_bind) + "\n";
  return cmd + join_quoted({s.itwin, "hpo", job.config, "--study-dir"}) + " " +
         shell_quote(job.run_dir) + "\"${SLURM_JOB_ID}\"";
}

}  // namespace

std::string render(const Job& job) {
  const Settings& s = job.s;
  const int64_t tpn = tasks_per_node(s);
  std::vector<std::string> sb = {"--job-name=" + s.job_name, "--nodes=" + std::to_string(s.nodes),
                                 "--ntasks-per-node=" + std::to_string(tpn)};
  if (s.cpus_per_task > 0) sb.push_back("--cpus-per-task=" + std::to_string(s.cpus_per_task));
  if (s.gpus_per_node > 0) sb.push_back("--gpus-per-node=" + std::to_string(s.gpus_per_node));
  sb.push_back("--time=" + s.time);
  for (const auto& [k, v] : std::vector<std::pair<std::string, std::string>>{
           {"partition", s.partition}, {"account", s.account}, {"qos", s.qos}, {"mem", s.mem},
           {"constraint", s.constraint}, {"reservation", s.reservation}}) {
    if (!v.empty()) sb.push_back("--" + k + "=" + v);
  }
  sb.push_back("--output=" + s.log_dir + "/%x-%j.out");
  sb.push_back("--open-mode=append");
  sb.push_back("--requeue");
  sb.push_back("--signal=B:USR1@" + std::to_string(s.warn_seconds));
  sb.insert(sb.end(), s.sbatch_args.begin(), s.sbatch_args.end());
  std::string sbatch;
  for (const auto& l : sb) sbatch += (sbatch.empty() ? "" : "\n") + std::string("#SBATCH ") + l;

  std::string modules, env;
  for (const auto& m : s.modules) modules += "module load " + shell_quote(m) + "\n";
  if (modules.empty()) modules = "# (no modules)\n";
  for (const auto& [k, v] : s.env) env += "export " + k + "=" + shell_quote(v) + "\n";
  if (env.empty()) env = "# (no extra environment)\n";

  std::string out = kJobTemplate;
  out = replace_all(out, "@VERSION@", version_string());
  out = replace_all(out, "@SOURCE@", job.source);
  out = replace_all(out, "@PROFILE@", job.profile);
  out = replace_all(out, "@SBATCH@", sbatch);
  out = replace_all(out, "@MODULES@\n", modules);
  out = replace_all(out, "@ENV@\n", env);
  out = replace_all(out, "@MAX_REQUEUES@", std::to_string(s.max_requeues));
  return replace_all(out, "@LAUNCH@",
                     job.command == "hpo" ? study_command(job) : rank_command(job));
}

}  // namespace itwin::slurm
