// Cluster profiles and the `slurm:` section.
#include <cstdlib>
#include <filesystem>
#include <regex>

#include "itwin/config/load.hpp"
#include "itwin/config/reader.hpp"
#include "itwin/config/slurm_spec.hpp"
#include "itwin/util/error.hpp"
#include "itwin/util/strings.hpp"

namespace fs = std::filesystem;

namespace itwin::config {

// Generated from slurm/profiles/*.yaml by scripts/embed-profiles.sh.
struct EmbeddedProfile {
  const char* name;
  const char* text;
};
extern const EmbeddedProfile kEmbeddedProfiles[];
extern const int kEmbeddedProfileCount;

std::vector<std::string> builtin_profiles() {
  std::vector<std::string> v;
  for (int i = 0; i < kEmbeddedProfileCount; ++i) v.push_back(kEmbeddedProfiles[i].name);
  return v;
}

std::vector<std::pair<std::string, std::string>> builtin_profile_summaries() {
  std::vector<std::pair<std::string, std::string>> v;
  for (const auto& name : builtin_profiles()) v.emplace_back(name, load_profile(name).description);
  return v;
}

namespace {

// Job scripts never hold a secret's value (they are files on shared disks,
// and sbatch keeps a copy): only a whole slurm.env value may be a secret.
void reject_secrets(const Node& n, const std::string& where) {
  if (n.is_secret()) {
    throw ConfigError(n.mark.str() + ": " + where +
                      " holds a secret, but a job script never carries one; "
                      "only a whole slurm.env value may be ${secret:NAME}, which the job reads "
                      "from its own environment");
  }
  for (const auto& e : n.map) reject_secrets(*e.value, where + "." + e.key);
  for (const auto& c : n.seq) reject_secrets(c, where);
}

void read_env(Reader& r, slurm::Settings& s) {
  static const std::regex whole("\\$\\{secret:([A-Za-z_][A-Za-z0-9_]*)\\}");
  const Node* env = r.node().find("env");
  for (const auto& [k, v] : r.get_string_map("env")) {
    const Node* value = env->find(k);
    std::smatch m;
    if (!value->is_secret()) {
      s.env[k] = v;
      s.env_secrets.erase(k);
    } else if (std::regex_match(value->secret_text, m, whole)) {
      s.env_secrets[k] = m[1];
      s.env.erase(k);
    } else {
      reject_secrets(*value, "env." + k);
    }
  }
}

}  // namespace

void read_settings(Reader& r, slurm::Settings& s) {
  for (const auto& e : r.node().map) {
    if (e.key != "env") reject_secrets(*e.value, e.key);
  }
  s.job_name = r.get_string("job_name", s.job_name);
  s.nodes = r.get_int("nodes", s.nodes, 1, 100000);
  s.ntasks_per_node = r.get_int("ntasks_per_node", s.ntasks_per_node, 0, 4096);
  s.gpus_per_node = r.get_int("gpus_per_node", s.gpus_per_node, 0, 64);
  s.cpus_per_task = r.get_int("cpus_per_task", s.cpus_per_task, 0, 4096);
  s.time = r.get_string("time", s.time);
  s.partition = r.get_string("partition", s.partition);
  s.account = r.get_string("account", s.account);
  s.qos = r.get_string("qos", s.qos);
  s.mem = r.get_string("mem", s.mem);
  s.constraint = r.get_string("constraint", s.constraint);
  s.reservation = r.get_string("reservation", s.reservation);
  s.launcher = r.get_choice("launcher", s.launcher, {"srun", "mpirun"});
  s.mpi = r.get_string("mpi", s.mpi);  // srun --mpi=: pmix, pmi2, cray_shasta, none, ...
  s.gpu_bind = r.get_string("gpu_bind", s.gpu_bind);
  s.cpu_bind = r.get_string("cpu_bind", s.cpu_bind);
  s.modules = r.get_string_list("modules", s.modules);
  read_env(r, s);
  s.srun_args = r.get_string_list("srun_args", s.srun_args);
  s.sbatch_args = r.get_string_list("sbatch_args", s.sbatch_args);
  s.log_dir = r.get_string("log_dir", s.log_dir);
  s.itwin = r.get_string("itwin", s.itwin);
  Reader c = r.sub("container");
  s.container.image = c.get_string("image", s.container.image);
  s.container.runtime = c.get_choice("runtime", s.container.runtime, {"apptainer", "singularity"});
  s.container.binds = c.get_string_list("binds", s.container.binds);
  s.container.args = c.get_string_list("args", s.container.args);
  c.finish();
  Reader q = r.sub("requeue");
  s.max_requeues = q.get_int("max", s.max_requeues, 0, 1000);
  s.warn_seconds = q.get_int("warn_seconds", s.warn_seconds, 10, 86400);
  q.finish();
}

slurm::Profile load_profile(const std::string& name_or_path) {
  Node n;
  std::string source;
  bool by_path = name_or_path.find('/') != std::string::npos || ends_with(name_or_path, ".yaml");
  if (by_path) {
    n = load_file(name_or_path);
    source = name_or_path;
  } else {
    std::vector<std::string> dirs;
    if (const char* p = std::getenv("ITWIN_PROFILE_PATH")) dirs = split(p, ':');
    if (const char* h = std::getenv("HOME"))
      dirs.push_back(std::string(h) + "/.config/itwin/profiles");
    for (const auto& d : dirs) {
      fs::path f = fs::path(d) / (name_or_path + ".yaml");
      if (!d.empty() && fs::exists(f)) {
        n = load_file(f.string());
        source = f.string();
        break;
      }
    }
    if (source.empty()) {
      for (int i = 0; i < kEmbeddedProfileCount; ++i) {
        if (name_or_path == kEmbeddedProfiles[i].name) {
          source = std::string("<built-in>/slurm/profiles/") + kEmbeddedProfiles[i].name + ".yaml";
          n = load_string(kEmbeddedProfiles[i].text, source);
        }
      }
    }
    if (source.empty()) {
      auto names = builtin_profiles();
      throw ConfigError("no cluster profile '" + name_or_path + "'" +
                        did_you_mean(name_or_path, names) + "; built in: " + join(names, ", ") +
                        "; add your own as ~/.config/itwin/profiles/NAME.yaml (docs/slurm.md)");
    }
  }
  interpolate(n);
  slurm::Profile p;
  p.source = source;
  Reader r(n, "profile " + source, nullptr);
  p.name = r.get_string("name", fs::path(source).stem().string());
  p.description = r.get_string("description", "");
  p.carbon_intensity = r.get_double("carbon_intensity", 0.0, 0.0, 5000.0);
  Reader lim = r.sub("limits");
  p.max_gpus_per_node = lim.get_int("gpus_per_node", -1, -1, 64);
  p.cpus_per_node = lim.get_int("cpus_per_node", 0, 0, 4096);
  p.max_time = lim.get_string("max_time", "");
  lim.finish();
  Reader d = r.sub("defaults");
  read_settings(d, p.defaults);
  d.finish();
  r.finish();
  return p;
}

}  // namespace itwin::config
