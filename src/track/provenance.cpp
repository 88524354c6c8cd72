#include "itwin/track/provenance.hpp"

#include <cstdlib>
#include <nlohmann/json.hpp>
#include <regex>

#include "itwin/util/fs.hpp"
#include "itwin/util/redact.hpp"
#include "itwin/util/strings.hpp"

extern char** environ;

namespace itwin::track {

std::string fnv1a64(const std::string& s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

std::set<std::string> secret_names(const std::string& config_yaml) {
  static const std::regex ref("\\$\\{secret:([A-Za-z_][A-Za-z0-9_]*)\\}");
  std::set<std::string> out;
  for (std::sregex_iterator it(config_yaml.begin(), config_yaml.end(), ref), end; it != end; ++it)
    out.insert((*it)[1]);
  return out;
}

std::map<std::string, std::string> environment_of_interest(const std::set<std::string>& hidden) {
  static const char* prefixes[] = {"SLURM_",
                                   "OMP_",
                                   "OMPI_COMM_WORLD_",
                                   "NCCL_",
                                   "GLOO_",
                                   "UCX_",
                                   "CUDA_VISIBLE_DEVICES",
                                   "ITWIN_",
                                   "MASTER_ADDR",
                                   "MASTER_PORT",
                                   "OPENBLAS_"};
  std::map<std::string, std::string> out;
  for (char** e = environ; e && *e; ++e) {
    std::string kv = *e;
    auto eq = kv.find('=');
    if (eq == std::string::npos) continue;
    std::string k = kv.substr(0, eq);
    // A secret of the config, or a variable named like one, is recorded as set, not by value.
    bool secret = hidden.count(k) > 0;
    for (const char* w : {"TOKEN", "SECRET", "PASSWORD", "PASSWD"})
      secret = secret || k.find(w) != std::string::npos;
    for (const char* p : prefixes) {
      if (starts_with(k, p)) out[k] = secret ? "***" : kv.substr(eq + 1);
    }
  }
  return out;
}

std::map<std::string, std::string> provenance_tags(const Provenance& p) {
  std::map<std::string, std::string> tags = {{"itwin.config_hash", fnv1a64(p.config_yaml)},
                                             {"itwin.world_size", std::to_string(p.world)}};
  for (const auto& [k, v] : p.versions) tags["itwin.version." + k] = v;
  if (const char* job = std::getenv("SLURM_JOB_ID")) tags["itwin.slurm_job_id"] = job;
  return tags;
}

void write_provenance(const Provenance& p) {
  auto env = environment_of_interest(secret_names(p.config_yaml));
  for (auto& [k, v] : env) v = redact(v);  // e.g. ITWIN_REGISTRY=http://user:pass@host
  // The hash is the config's as run; the stored text has its credentials removed.
  std::string hash = fnv1a64(p.config_yaml);
  nlohmann::json j = {{"config_source", p.config_source},
                      {"pipeline", p.pipeline},
                      {"config_hash", {{"algorithm", "fnv1a64"}, {"value", hash}}},
                      {"config_yaml", redact(p.config_yaml)},
                      {"versions", p.versions},
                      {"hosts", p.hosts},
                      {"world_size", p.world},
                      {"backend", p.backend},
                      {"strategy", p.strategy},
                      {"slurm_job_id", env.count("SLURM_JOB_ID") ? env["SLURM_JOB_ID"] : ""},
                      {"environment", env},
                      {"start", p.start},
                      {"end", p.end},
                      {"status", p.status}};
  if (!p.devices.empty()) j["devices"] = p.devices;
  if (!p.error.empty()) j["error"] = redact(p.error);
  write_file_atomic(p.run_dir + "/provenance.json", j.dump(2) + "\n");
}

}  // namespace itwin::track
