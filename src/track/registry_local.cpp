// itwin's own registry directory:
//   <root>/<name>/versions/<N>/{model files..., meta.json}, <root>/<name>/aliases.json
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <regex>

#include "itwin/track/loggers.hpp"
#include "itwin/util/error.hpp"
#include "itwin/util/fs.hpp"
#include "itwin/util/lock.hpp"
#include "registry_stores.hpp"

namespace fs = std::filesystem;

namespace itwin::track {
namespace {

class LocalRegistry : public RegistryStore {
 public:
  explicit LocalRegistry(std::string root) : root_(std::move(root)) {}

  std::string describe() const override { return "local registry " + root_; }

  ModelVersion add(const std::string& name, const VersionSource& src) override {
    std::string base = root_ + "/" + name + "/versions";
    fs::create_directories(base);
    // 1. Assemble the version in a private temp directory.
    std::string tmp = base + "/" + private_name("");
    copy_model_files(src.run_dir, tmp);
    double now =
        std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
    nlohmann::json meta = {
        {"name", name}, {"source_run", src.run_dir}, {"created", now}, {"metrics", src.metrics}};
    if (!src.mlflow.kind.empty()) meta["mlflow_run"] = tracked_run_json(src.mlflow);
    write_file_atomic(tmp + "/meta.json", meta.dump(2) + "\n");
    // 2. Take the next free number: the rename fails if another registration took it.
    for (int attempt = 0; attempt < 100; ++attempt) {
      auto existing = versions(name);
      int v = existing.empty() ? 1 : existing.back() + 1;
      std::string dst = base + "/" + std::to_string(v);
      std::error_code ec;
      if (!fs::exists(dst)) {
        fs::rename(tmp, dst, ec);
        if (!ec) return get(name, v);
      }
    }
    fs::remove_all(tmp);
    throw RuntimeError("could not register " + name +
                       ": no free version number after 100 attempts");
  }

  std::vector<std::string> names() const override {
    std::vector<std::string> out;
    if (!fs::is_directory(root_)) return out;
    for (const auto& e : fs::directory_iterator(root_)) {
      std::string n = e.path().filename().string();
      if (!versions(n).empty()) out.push_back(n);
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  std::vector<int> versions(const std::string& name) const override {
    std::vector<int> v;
    std::string dir = root_ + "/" + name + "/versions";
    if (!fs::is_directory(dir)) return v;
    for (const auto& e : fs::directory_iterator(dir)) {
      std::string n = e.path().filename().string();
      if (std::regex_match(n, std::regex("\\d+")) && fs::exists(e.path() / "meta.json"))
        v.push_back(std::stoi(n));
    }
    std::sort(v.begin(), v.end());
    return v;
  }

  ModelVersion get(const std::string& name, int v) const override {
    ModelVersion m;
    m.name = name;
    m.version = v;
    m.dir = root_ + "/" + name + "/versions/" + std::to_string(v);
    auto j = nlohmann::json::parse(read_file(m.dir + "/meta.json"));
    m.source_run = j.value("source_run", "");
    m.created = j.value("created", 0.0);
    if (j.contains("mlflow_run")) m.run_id = j["mlflow_run"].value("run_id", "");
    if (j.contains("metrics")) m.metrics = j["metrics"].get<std::map<std::string, double>>();
    for (const auto& [alias, version] : aliases(name))
      if (version == v) m.aliases.push_back(alias);
    return m;
  }

  std::map<std::string, int> aliases(const std::string& name) const override {
    std::string p = root_ + "/" + name + "/aliases.json";
    if (!fs::exists(p)) return {};
    return nlohmann::json::parse(read_file(p)).get<std::map<std::string, int>>();
  }

  void set_alias(const std::string& name, const std::string& alias, int version) override {
    update_aliases(name, [&](std::map<std::string, int>& a) { a[alias] = version; });
  }

  void remove_alias(const std::string& name, const std::string& alias) override {
    update_aliases(name, [&](std::map<std::string, int>& a) { a.erase(alias); });
  }

 private:
  // aliases.json is one file for all aliases: concurrent `itwin models alias`
  // calls read, change and write it under one lock, so none loses another's
  // update. Readers need no lock (the file is replaced atomically).
  void update_aliases(const std::string& name,
                      const std::function<void(std::map<std::string, int>&)>& change) {
    FileLock lock(root_ + "/" + name + "/.aliases.lock");
    auto a = aliases(name);
    change(a);
    write_file_atomic(root_ + "/" + name + "/aliases.json", nlohmann::json(a).dump(2) + "\n");
  }

  std::string root_;
};

}  // namespace

std::unique_ptr<RegistryStore> make_local_registry(const std::string& root) {
  return std::make_unique<LocalRegistry>(root);
}

}  // namespace itwin::track
