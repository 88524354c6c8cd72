// The sbatch script: validation and a pure render from slurm/templates/job.sh.
#include <cstdio>
#include <map>
#include <regex>
#include <sstream>

#include "itwin/config/checks.hpp"
#include "itwin/slurm/job.hpp"
#include "itwin/util/error.hpp"
#include "itwin/util/strings.hpp"
#include "itwin/util/version.hpp"

namespace itwin::slurm {

extern const char* const kJobTemplate;  // slurm/templates/job.sh, embedded at build time

namespace {

const std::regex kWord("[A-Za-z0-9_.,:+/=@%-]+");  // safe inside an #SBATCH line

std::string comment_text(const std::string& s);

void check_word(const std::string& what, const std::string& v) {
  if (!v.empty() && !std::regex_match(v, kWord)) {
    throw ConfigError("slurm: " + what + " '" + comment_text(v) +
                      "' may only hold letters, digits and _.,:+/=@%- (no spaces or quotes)");
  }
}

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (size_t p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size()))
    s.replace(p, from.size(), to);
  return s;
}

// Fills the template in one pass: each @TOKEN@ becomes its value, and a
// value is copied as it is, never scanned for tokens again (a value holding
// "@LAUNCH@" stays that text).
std::string fill(const std::string& tmpl, const std::map<std::string, std::string>& values) {
  std::string out;
  size_t i = 0;
  while (i < tmpl.size()) {
    size_t at = tmpl.find('@', i);
    if (at == std::string::npos) at = tmpl.size();
    out.append(tmpl, i, at - i);
    if (at == tmpl.size()) break;
    size_t end = tmpl.find('@', at + 1);
    auto it =
        end == std::string::npos ? values.end() : values.find(tmpl.substr(at + 1, end - at - 1));
    if (it != values.end()) {
      out += it->second;
      i = end + 1;
    } else {
      out += '@';
      i = at + 1;
    }
  }
  return out;
}

// Text for a comment line of the header: one line, whatever the user named
// things. (A newline there would end the comment and start a command, and
// sbatch stops reading #SBATCH lines at the first command.)
std::string comment_text(const std::string& s) { return config::printable(s); }

const std::regex kEnvName("[A-Za-z_][A-Za-z0-9_]*");

// What makes a job renderable at all: every value that is written into the
// script unquoted (the #SBATCH lines, option values) matches a strict
// pattern; the rest is single-quoted and may hold anything, except that a
// word standing where a program reads options may not start with '-'.
void check_safe(const Job& job) {
  const Settings& s = job.s;
  if (s.job_name.empty() || !std::regex_match(s.job_name, std::regex("[A-Za-z0-9_.-]+"))) {
    throw ConfigError("slurm: job_name '" + comment_text(s.job_name) +
                      "' may only hold letters, digits, '_', '.' and '-'");
  }
  if (parse_time_minutes(s.time) <= 0) {
    throw ConfigError("slurm: time '" + comment_text(s.time) +
                      "' is not a SLURM time (MM, HH:MM:SS, D-HH:MM:SS, ...)");
  }
  for (const auto& [what, v] :
       std::vector<std::pair<std::string, std::string>>{{"partition", s.partition},
                                                        {"account", s.account},
                                                        {"qos", s.qos},
                                                        {"mem", s.mem},
                                                        {"constraint", s.constraint},
                                                        {"reservation", s.reservation},
                                                        {"mpi", s.mpi},
                                                        {"gpu_bind", s.gpu_bind},
                                                        {"cpu_bind", s.cpu_bind},
                                                        {"log_dir", s.log_dir}}) {
    check_word(what, v);
  }
  for (const auto& a : s.sbatch_args) {
    if (!std::regex_match(a, std::regex("--[A-Za-z][A-Za-z0-9-]*(=[A-Za-z0-9_.,:+/=@%-]*)?"))) {
      throw ConfigError("slurm: sbatch_args entry '" + comment_text(a) +
                        "' must look like --option or --option=value (no spaces or quotes)");
    }
  }
  for (const auto& [k, v] : s.env) {
    if (!std::regex_match(k, kEnvName))
      throw ConfigError("slurm: env name '" + comment_text(k) + "' is not a valid variable name");
  }
  for (const auto& [k, v] : s.env_secrets) {
    if (!std::regex_match(k, kEnvName))
      throw ConfigError("slurm: env name '" + comment_text(k) + "' is not a valid variable name");
    if (!std::regex_match(v, kEnvName))
      throw ConfigError("slurm: env '" + k + "' names a secret '" + comment_text(v) +
                        "' that is not a variable name");
  }
  if (s.launcher != "srun" && s.launcher != "mpirun")
    throw ConfigError("slurm: launcher '" + comment_text(s.launcher) + "' is not srun or mpirun");
  if (s.container.runtime != "apptainer" && s.container.runtime != "singularity") {
    throw ConfigError("slurm: container.runtime '" + comment_text(s.container.runtime) +
                      "' is not apptainer or singularity");
  }
  for (const auto& [what, v] : std::vector<std::pair<std::string, std::string>>{
           {"container.image", s.container.image}, {"itwin", s.itwin}, {"config", job.config}}) {
    if (!v.empty() && v[0] == '-')
      throw ConfigError("slurm: " + what + " '" + comment_text(v) + "' must not start with '-'");
  }
  for (const auto& m : s.modules) {
    if (m.empty() || m[0] == '-')
      throw ConfigError("slurm: module name '" + comment_text(m) +
                        "' must not be empty or start with '-'");
  }
  for (const auto& st : job.steps) {
    if (st.empty() || st.find(',') != std::string::npos) {
      throw ConfigError("slurm: step name '" + comment_text(st) +
                        "' must not be empty or hold ','");
    }
  }
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
  static const std::regex plain("[A-Za-z0-9_./=:@%+,-]+");
  if (!s.empty() && std::regex_match(s, plain)) return s;
  bool control = false;
  for (unsigned char c : s) control = control || c < 0x20 || c == 0x7F;
  if (!control) return "'" + replace_all(s, "'", "'\\''") + "'";
  // Control characters as $'...' escapes: every value stays on its line, so
  // no line of the script starts with what a value holds (e.g. "#SBATCH").
  std::string out = "$'";
  for (unsigned char c : s) {
    if (c == '\\' || c == '\'') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7F) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02X", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "'";
}

int64_t parse_time_minutes(const std::string& t) {
  std::smatch m;
  auto n = [&](int i) { return m[i].matched && m[i].length() ? std::stoll(m[i]) : 0LL; };
  if (std::regex_match(t, m, std::regex("(\\d+)"))) return n(1);
  if (std::regex_match(t, m, std::regex("(\\d+):(\\d{1,2})")))
    return m[2].length() && std::stoll(m[2]) < 60 ? n(1) + (n(2) > 0) : -1;
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
  check_safe(job);
  const Settings& s = job.s;
  int64_t minutes = parse_time_minutes(s.time);
  if (!p.max_time.empty() && minutes > parse_time_minutes(p.max_time)) {
    throw ConfigError("slurm: time " + s.time + " is longer than profile '" + p.name +
                      "' allows (" + p.max_time + ")");
  }
  if (s.warn_seconds >= minutes * 60) {
    throw ConfigError("slurm: requeue.warn_seconds (" + std::to_string(s.warn_seconds) +
                      ") must be shorter than the time limit " + s.time);
  }
  if (p.max_gpus_per_node >= 0 && s.gpus_per_node > p.max_gpus_per_node) {
    throw ConfigError("slurm: " + std::to_string(s.gpus_per_node) +
                      " GPUs per node asked, but profile '" + p.name + "' nodes have " +
                      std::to_string(p.max_gpus_per_node));
  }
  if (p.cpus_per_node > 0 &&
      tasks_per_node(s) * std::max<int64_t>(1, s.cpus_per_task) > p.cpus_per_node) {
    throw ConfigError("slurm: " + std::to_string(tasks_per_node(s)) + " tasks x " +
                      std::to_string(s.cpus_per_task) + " CPUs per node asked, but profile '" +
                      p.name + "' nodes have " + std::to_string(p.cpus_per_node) + " CPUs");
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
    launch = {"srun", "--nodes=" + std::to_string(s.nodes),
              "--ntasks-per-node=" + std::to_string(tpn)};
    if (s.cpus_per_task > 0) launch.push_back("--cpus-per-task=" + std::to_string(s.cpus_per_task));
    launch.push_back("--mpi=" + s.mpi);
    if (!s.cpu_bind.empty()) launch.push_back("--cpu-bind=" + s.cpu_bind);
    if (!s.gpu_bind.empty() && s.gpus_per_node > 0) launch.push_back("--gpu-bind=" + s.gpu_bind);
    launch.push_back("--kill-on-bad-exit=1");
  } else {
    launch = {
        "mpirun",    "-np", "${SLURM_NTASKS}", "--map-by", "ppr:" + std::to_string(tpn) + ":node",
        "--bind-to", "core"};
  }
  std::string cmd;
  for (const auto& w : launch)
    cmd += (cmd.empty() ? "" : " ") +
           (w == "${SLURM_NTASKS}" ? "\"${SLURM_NTASKS}\"" : shell_quote(w));
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
  check_safe(job);
  const Settings& s = job.s;
  const int64_t tpn = tasks_per_node(s);
  std::vector<std::string> sb = {"--job-name=" + s.job_name, "--nodes=" + std::to_string(s.nodes),
                                 "--ntasks-per-node=" + std::to_string(tpn)};
  if (s.cpus_per_task > 0) sb.push_back("--cpus-per-task=" + std::to_string(s.cpus_per_task));
  if (s.gpus_per_node > 0) sb.push_back("--gpus-per-node=" + std::to_string(s.gpus_per_node));
  sb.push_back("--time=" + s.time);
  for (const auto& [k, v] :
       std::vector<std::pair<std::string, std::string>>{{"partition", s.partition},
                                                        {"account", s.account},
                                                        {"qos", s.qos},
                                                        {"mem", s.mem},
                                                        {"constraint", s.constraint},
                                                        {"reservation", s.reservation}}) {
    if (!v.empty()) sb.push_back("--" + k + "=" + v);
  }
  sb.push_back("--output=" + s.log_dir + "/%x-%j.out");
  sb.push_back("--open-mode=append");
  sb.push_back("--requeue");
  sb.push_back("--signal=B:USR1@" + std::to_string(s.warn_seconds));
  sb.insert(sb.end(), s.sbatch_args.begin(), s.sbatch_args.end());
  std::string sbatch;
  for (const auto& l : sb) sbatch += (sbatch.empty() ? "" : "\n") + std::string("#SBATCH ") + l;

  std::vector<std::string> modules, env;
  for (const auto& m : s.modules) modules.push_back("module load " + shell_quote(m));
  if (modules.empty()) modules.push_back("# (no modules)");
  // A secret is copied from the job's own environment by name; its value is never in the script.
  std::map<std::string, std::string> exports;
  for (const auto& [k, v] : s.env) exports[k] = shell_quote(v);
  for (const auto& [k, from] : s.env_secrets)
    exports[k] = "\"${" + from + ":?secret " + from + " is not set where the job runs}\"";
  for (const auto& [k, v] : exports) env.push_back("export " + k + "=" + v);
  if (env.empty()) env.push_back("# (no extra environment)");

  return fill(kJobTemplate,
              {{"VERSION", comment_text(version_string())},
               {"SOURCE", comment_text(job.source)},
               {"PROFILE", comment_text(job.profile)},
               {"SBATCH", sbatch},
               {"MODULES", join(modules, "\n")},
               {"ENV", join(env, "\n")},
               {"MAX_REQUEUES", std::to_string(s.max_requeues)},
               {"LAUNCH", job.command == "hpo" ? study_command(job) : rank_command(job)}});
}

}  // namespace itwin::slurm
