#include "itwin/track/registry.hpp"

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <regex>

#include "itwin/slurm/jobs.hpp"
#include "itwin/util/error.hpp"
#include "itwin/util/fs.hpp"
#include "itwin/util/strings.hpp"

namespace fs = std::filesystem;

namespace itwin::track {
namespace {

const std::regex kName("[A-Za-z0-9][A-Za-z0-9_.-]*");

void check_name(const std::string& what, const std::string& n) {
  if (!std::regex_match(n, kName)) {
    throw UsageError(what + " '" + n + "' may only hold letters, digits, '_', '.' and '-' (and not start with them)");
  }
}

std::map<std::string, int> read_aliases(const std::string& name) {
  std::string p = registry_root() + "/" + name + "/aliases.json";
  if (!fs::exists(p)) return {};
  return nlohmann::json::parse(read_file(p)).get<std::map<std::string, int>>();
}

ModelVersion load_version(const std::string& name, int v) {
  ModelVersion m;
  m.name = name;
  m.version = v;
  m.dir = registry_root() + "/" + name + "/versions/" + std::to_string(v);
  auto j = nlohmann::json::parse(read_file(m.dir + "/meta.json"));
  m.source_run = j.value("source_run", "");
  m.created = j.value("created", 0.0);
  if (j.contains("metrics")) m.metrics = j["metrics"].get<std::map<std::string, double>>();
  for (const auto& [alias, version] : read_aliases(name))
    if (version == v) m.aliases.push_back(alias);
  return m;
}

std::vector<int> versions_of(const std::string& name) {
  std::vector<int> v;
  std::string dir = registry_root() + "/" + name + "/versions";
  if (!fs::is_directory(dir)) return v;
  for (const auto& e : fs::directory_iterator(dir)) {
    std::string n = e.path().filename().string();
    if (std::regex_match(n, std::regex("\\d+")) && fs::exists(e.path() / "meta.json")) v.push_back(std::stoi(n));
  }
  std::sort(v.begin(), v.end());
  return v;
}

void make_read_only(const fs::path& dir) {
  for (const auto& e : fs::directory_iterator(dir)) {
    fs::permissions(e.path(), fs::perms::owner_write | fs::perms::group_write | fs::perms::others_write,
                    fs::perm_options::remove);
  }
}

}  // namespace

std::string registry_root() {
  if (const char* r = std::getenv("ITWIN_REGISTRY")) return r;
  return slurm::state_dir() + "/registry";
}

ModelVersion register_model(const std::string& run_dir, const std::string& name) {
  check_name("model name", name);
  for (const char* f : {"model.pt", "summary.json"}) {
    if (!fs::exists(fs::path(run_dir) / f)) {
      throw UsageError("'" + run_dir + "' holds no trained model (" + f + " is missing); register a finished training run");
    }
  }
  auto summary = nlohmann::json::parse(read_file(run_dir + "/summary.json"));
  std::string base = registry_root() + "/" + name + "/versions";
  fs::create_directories(base);
  // 1. Assemble the version in a private temp directory.
  std::string tmp = base + "/.tmp-" + std::to_string(::getpid());
  fs::remove_all(tmp);
  fs::create_directories(tmp);
  for (const char* f : {"model.pt", "model.ts.pt", "config.yaml", "summary.json", "provenance.json"}) {
    if (fs::exists(fs::path(run_dir) / f)) fs::copy_file(fs::path(run_dir) / f, fs::path(tmp) / f);
  }
  nlohmann::json meta = {{"name", name},
                         {"source_run", fs::absolute(run_dir).lexically_normal().string()},
                         {"created", std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count()},
                         {"metrics", summary.value("metrics", nlohmann::json::object())}};
  write_file_atomic(tmp + "/meta.json", meta.dump(2) + "\n");
  for (const auto& e : fs::directory_iterator(tmp)) commit_file_atomic(e.path().string(), e.path().string());
  make_read_only(tmp);
  // 2. Take the next free number: rename fails if another registration took it.
  for (int attempt = 0; attempt < 100; ++attempt) {
    auto existing = versions_of(name);
    int v = existing.empty() ? 1 : existing.back() + 1;
    std::string dst = base + "/" + std::to_string(v);
    std::error_code ec;
    if (!fs::exists(dst)) {
      fs::rename(tmp, dst, ec);
      if (!ec) return load_version(name, v);
    }
  }
  fs::remove_all(tmp);
  throw RuntimeError("could not register " + name + ": no free version number after 100 attempts");
}

std::map<std::string, std::vector<ModelVersion>> list_models() {
  std::map<std::string, std::vector<ModelVersion>> out;
  if (!fs::is_directory(registry_root())) return out;
  for (const auto& e : fs::directory_iterator(registry_root())) {
    std::string name = e.path().filename().string();
    for (int v : versions_of(name)) out[name].push_back(load_version(name, v));
  }
  return out;
}

ModelVersion resolve_model(const std::string& ref) {
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
  auto versions = versions_of(name);
  if (versions.empty()) {
    std::vector<std::string> names;
    for (const auto& [n, vs] : list_models()) names.push_back(n);
    throw UsageError("no registered model '" + name + "'" + did_you_mean(name, names) +
                     (names.empty() ? " (the registry " + registry_root() + " is empty)" : "; registered: " + join(names, ", ")));
  }
  if (which == "latest") return load_version(name, versions.back());
  if (std::regex_match(which, std::regex("\\d+"))) {
    int v = std::stoi(which);
    if (std::find(versions.begin(), versions.end(), v) == versions.end()) {
      throw UsageError("model '" + name + "' has no version " + which + " (versions 1 to " + std::to_string(versions.back()) + ")");
    }
    return load_version(name, v);
  }
  auto aliases = read_aliases(name);
  auto it = aliases.find(which);
  if (it == aliases.end()) {
    std::vector<std::string> known;
    for (const auto& [a, v] : aliases) known.push_back(a);
    throw UsageError("model '" + name + "' has no alias '" + which + "'" + did_you_mean(which, known) +
                     (known.empty() ? "" : "; aliases: " + join(known, ", ")));
  }
  return load_version(name, it->second);
}

void set_alias(const std::string& name, int version, const std::string& alias) {
  check_name("alias", alias);
  if (alias == "latest" || std::regex_match(alias, std::regex("\\d+"))) throw UsageError("'" + alias + "' is reserved; choose another alias");
  resolve_model(name + "@" + std::to_string(version));  // exists?
  auto aliases = read_aliases(name);
  aliases[alias] = version;
  write_file_atomic(registry_root() + "/" + name + "/aliases.json", nlohmann::json(aliases).dump(2) + "\n");
}

void remove_alias(const std::string& name, const std::string& alias) {
  auto aliases = read_aliases(name);
  if (!aliases.erase(alias)) throw UsageError("model '" + name + "' has no alias '" + alias + "'");
  write_file_atomic(registry_root() + "/" + name + "/aliases.json", nlohmann::json(aliases).dump(2) + "\n");
}

}  // namespace itwin::track
