// The model registry's front: references, validation, store selection. The
// stores themselves are in registry_local.cpp, registry_mlflow.cpp and
// registry_rest.cpp.
#include "itwin/track/registry.hpp"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <random>
#include <regex>

#include "itwin/track/loggers.hpp"
#include "itwin/util/error.hpp"
#include "itwin/util/fs.hpp"
#include "itwin/util/redact.hpp"
#include "itwin/util/state.hpp"
#include "itwin/util/strings.hpp"
#include "registry_stores.hpp"
#include "sinks.hpp"

namespace fs = std::filesystem;

namespace itwin::track {
namespace {

void check_name(const std::string& what, const std::string& n) {
  static const std::regex kName("[A-Za-z0-9][A-Za-z0-9_.-]*");
  if (!std::regex_match(n, kName)) {
    throw UsageError(what + " '" + n +
                     "' may only hold letters, digits, '_', '.' and '-' (and not start with them)");
  }
}

}  // namespace

void check_alias(const std::string& alias) {
  // MLflow's rule (mlflow/utils/validation.py), so that every store takes the
  // same aliases: letters, digits, '_' and '-'; not "latest", not "v3".
  static const std::regex kAlias("[A-Za-z0-9_-]{1,255}");
  if (!std::regex_match(alias, kAlias)) {
    throw UsageError("alias '" + alias + "' may only hold letters, digits, '_' and '-'");
  }
  std::string lower;
  for (char c : alias) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower == "latest" || std::regex_match(alias, std::regex("[vV]?\\d+"))) {
    throw UsageError("'" + alias + "' is reserved (a version or 'latest'); choose another alias");
  }
}

namespace {

bool is_http(const std::string& u) {
  return starts_with(u, "http://") || starts_with(u, "https://");
}

std::string strip_file_scheme(const std::string& u) {
  return starts_with(u, "file://") ? u.substr(7) : u;
}

std::string env_or(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

}  // namespace

std::unique_ptr<RegistryStore> open_registry(const std::string& uri) {
  const std::string local_root = state_dir() + "/registry";
  std::string u = uri.empty() ? env_or("ITWIN_REGISTRY") : uri;
  bool mlflow_env = false;  // in MLflow's own variables a plain path is an MLflow file store
  if (u.empty()) {
    u = env_or("MLFLOW_REGISTRY_URI");
    if (u.empty()) u = env_or("MLFLOW_TRACKING_URI");
    if (u.empty()) return make_local_registry(local_root);
    mlflow_env = true;
  }
  if (is_http(u)) return make_mlflow_rest_registry(u, local_root + "/mlflow-cache");
  if (starts_with(u, "mlflow:")) return make_mlflow_file_registry(strip_file_scheme(u.substr(7)));
  if (starts_with(u, "file://")) return make_mlflow_file_registry(u.substr(7));
  if (u.find("://") != std::string::npos || starts_with(u, "databricks")) {
    throw UsageError(
        "model registry '" + redact(u) +
        "' is not supported: give a directory (itwin's registry), mlflow:DIR or file://DIR "
        "(an MLflow file store) or http(s)://HOST (an MLflow server)");
  }
  return mlflow_env ? make_mlflow_file_registry(u) : make_local_registry(u);
}

ModelVersion register_model(RegistryStore& store, const std::string& run_dir,
                            const std::string& name) {
  check_name("model name", name);
  for (const char* f : {"model.pt", "summary.json"}) {
    if (!fs::exists(fs::path(run_dir) / f)) {
      throw UsageError("'" + run_dir + "' holds no trained model (" + f +
                       " is missing); register a finished training run");
    }
  }
  auto summary = nlohmann::json::parse(read_file(run_dir + "/summary.json"));
  VersionSource src;
  src.run_dir = fs::absolute(run_dir).lexically_normal().string();
  if (summary.contains("metrics"))
    src.metrics = summary["metrics"].get<std::map<std::string, double>>();
  for (const auto& j : summary.value("tracked_runs", nlohmann::json::array())) {
    TrackedRun r = tracked_run_from_json(j);
    if (r.kind == "mlflow" && src.mlflow.kind.empty())
      src.mlflow = r;  // the first MLflow logger's run
  }
  return store.add(name, src);
}

std::map<std::string, std::vector<ModelVersion>> list_models(const RegistryStore& store) {
  std::map<std::string, std::vector<ModelVersion>> out;
  for (const auto& name : store.names()) {
    for (int v : store.versions(name)) out[name].push_back(store.get(name, v));
  }
  return out;
}

ModelVersion resolve_model(const RegistryStore& store, const std::string& ref) {
  std::string name, which = "latest";
  std::smatch m;
  if (std::regex_match(ref, m, std::regex("models:/([^/@]+)(?:/([^/]+))?"))) {
    name = m[1];
    if (m[2].matched) which = m[2];
  } else {
    auto at = ref.find('@');
    name = ref.substr(0, at);
    if (at != std::string::npos) which = ref.substr(at + 1);
  }
  auto versions = store.versions(name);
  if (versions.empty()) {
    auto names = store.names();
    throw UsageError("no registered model '" + name + "' in the " + store.describe() +
                     did_you_mean(name, names) +
                     (names.empty() ? " (it is empty)" : "; registered: " + join(names, ", ")));
  }
  if (which == "latest") return store.get(name, versions.back());
  if (std::regex_match(which, std::regex("\\d+"))) {
    int v = std::stoi(which);
    if (std::find(versions.begin(), versions.end(), v) == versions.end()) {
      throw UsageError("model '" + name + "' has no version " + which + " (versions 1 to " +
                       std::to_string(versions.back()) + ")");
    }
    return store.get(name, v);
  }
  auto aliases = store.aliases(name);
  auto it = aliases.find(which);
  if (it == aliases.end()) {
    std::vector<std::string> known;
    for (const auto& [a, v] : aliases) known.push_back(a);
    throw UsageError("model '" + name + "' has no alias '" + which + "'" +
                     did_you_mean(which, known) +
                     (known.empty() ? "" : "; aliases: " + join(known, ", ")));
  }
  return store.get(name, it->second);
}

ModelVersion resolve_model(const std::string& ref) {
  auto store = open_registry();
  return store->with_local_files(resolve_model(*store, ref));
}

void set_alias(RegistryStore& store, const std::string& name, int version,
               const std::string& alias) {
  check_alias(alias);
  resolve_model(store, name + "@" + std::to_string(version));  // exists?
  store.set_alias(name, alias, version);
}

void remove_alias(RegistryStore& store, const std::string& name, const std::string& alias) {
  if (!store.aliases(name).count(alias))
    throw UsageError("model '" + name + "' has no alias '" + alias + "'");
  store.remove_alias(name, alias);
}

void copy_model_files(const std::string& run_dir, const std::string& dir) {
  fs::create_directories(dir);
  for (const auto& f : run_files()) {
    fs::path from = fs::path(run_dir) / f, to = fs::path(dir) / f;
    if (!fs::exists(from)) continue;
    if (f == "config.yaml") {
      write_file_atomic(to.string(), run_file_bytes(run_dir, f));  // without credentials
    } else {
      fs::copy_file(from, to);
      commit_file_atomic(to.string(), to.string());  // fsync'ed before the version becomes visible
    }
    fs::permissions(to, fs::perms::owner_write | fs::perms::group_write | fs::perms::others_write,
                    fs::perm_options::remove);
  }
}

std::string metric_text(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

std::string private_name(const std::string& prefix) {
  std::random_device rd;
  return prefix + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(rd() % 1000000);
}

}  // namespace itwin::track
