// The model registry in an MLflow file store, laid out as
// mlflow/store/model_registry/file_store.py writes and reads it:
//   DIR/models/<name>/meta.yaml                 registered model
//   DIR/models/<name>/aliases/<alias>           holds the version number
//   DIR/models/<name>/version-<N>/meta.yaml     model version (stage, source, run_id, ...)
//   DIR/models/<name>/version-<N>/tags/<key>    model version tags
// itwin adds DIR/models/<name>/version-<N>/files/ (the immutable copy of the
// model files; the version's storage_location) and tags itwin.source_run and
// itwin.metric.<name>. MLflow reads only meta.yaml, tags/ and aliases/, and
// lists only version-* directories, so the private temp directories that
// versions are assembled in stay invisible to it.
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <regex>

#include "itwin/util/error.hpp"
#include "itwin/util/fs.hpp"
#include "itwin/util/lock.hpp"
#include "itwin/util/strings.hpp"
#include "itwin/util/sysinfo.hpp"
#include "mlflow_meta.hpp"
#include "registry_stores.hpp"

namespace fs = std::filesystem;

namespace itwin::track {
namespace {

std::string registered_model_meta(const std::string& name, int64_t t) {
  return "aliases: {}\ncreation_timestamp: " + std::to_string(t) +
         "\ndescription: null\nlast_updated_timestamp: " + std::to_string(t) +
         "\nname: " + yaml_quote(name) + "\n";
}

class MlflowFileRegistry : public RegistryStore {
 public:
  explicit MlflowFileRegistry(const std::string& root)
      : root_(fs::absolute(root).lexically_normal().string()) {}

  std::string describe() const override { return "MLflow file store " + root_; }

  ModelVersion add(const std::string& name, const VersionSource& src) override {
    ensure_model(name);
    const std::string model = models() + "/" + name;
    const int64_t t = unix_millis();
    // The source MLflow shows: the run's artifacts when the run was tracked in this store.
    std::string run_id, source = "file://" + src.run_dir;
    std::error_code same_ec;
    if (!src.mlflow.kind.empty() &&
        fs::equivalent(fs::path(src.mlflow.store), fs::path(root_), same_ec)) {
      run_id = src.mlflow.id;
      source = "file://" + root_ + "/" + src.mlflow.experiment + "/" + run_id + "/artifacts";
    }
    // 1. Files and tags in a private directory.
    std::string tmp = model + "/" + private_name(".itwin");
    copy_model_files(src.run_dir, tmp + "/files");
    fs::create_directories(tmp + "/tags");
    write_file_atomic(tmp + "/tags/itwin.source_run", src.run_dir);
    for (const auto& [k, v] : src.metrics)
      write_file_atomic(tmp + "/tags/itwin.metric." + k, metric_text(v));
    // 2. The next number: meta.yaml names it, and the rename fails if another
    //    registration took it first.
    for (int attempt = 0; attempt < 100; ++attempt) {
      int v = highest_number(name) + 1;  // deleted versions' numbers included, as MLflow counts
      std::string dst = model + "/version-" + std::to_string(v);
      if (fs::exists(dst)) continue;
      write_file_atomic(tmp + "/meta.yaml",
                        version_meta(name, v, t, source, run_id, "file://" + dst + "/files"));
      std::error_code ec;
      fs::rename(tmp, dst, ec);
      if (ec) continue;
      touch_model(name, t);
      return get(name, v);
    }
    fs::remove_all(tmp);
    throw RuntimeError("could not register " + name + " in " + describe() +
                       ": no free version number after 100 attempts");
  }

  std::vector<std::string> names() const override {
    std::vector<std::string> out;
    if (!fs::is_directory(models())) return out;
    for (const auto& e : fs::directory_iterator(models())) {
      std::string n = e.path().filename().string();
      if (n[0] != '.' && fs::exists(e.path() / "meta.yaml") && !versions(n).empty())
        out.push_back(n);
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  std::vector<int> versions(const std::string& name) const override {
    std::vector<int> out;
    for (int v : numbers(name)) {
      fs::path meta = fs::path(models()) / name / ("version-" + std::to_string(v)) / "meta.yaml";
      if (read_mlflow_meta(meta.string())["current_stage"] != "Deleted_Internal") out.push_back(v);
    }
    return out;
  }

  ModelVersion get(const std::string& name, int v) const override {
    fs::path dir = fs::path(models()) / name / ("version-" + std::to_string(v));
    auto meta = read_mlflow_meta((dir / "meta.yaml").string());
    ModelVersion m;
    m.name = name;
    m.version = v;
    std::string where = meta["storage_location"];
    if (where.empty()) where = meta["source"];
    m.dir = starts_with(where, "file://") ? where.substr(7) : where;
    m.run_id = meta["run_id"];
    m.created = std::atof(meta["creation_timestamp"].c_str()) / 1000.0;
    if (fs::is_directory(dir / "tags")) {
      for (const auto& e : fs::directory_iterator(dir / "tags")) {
        std::string k = e.path().filename().string();
        if (k == "itwin.source_run") m.source_run = read_file(e.path().string());
        if (starts_with(k, "itwin.metric."))
          m.metrics[k.substr(13)] = std::atof(read_file(e.path().string()).c_str());
      }
    }
    for (const auto& [alias, version] : aliases(name))
      if (version == v) m.aliases.push_back(alias);
    return m;
  }

  std::map<std::string, int> aliases(const std::string& name) const override {
    std::map<std::string, int> out;
    fs::path dir = fs::path(models()) / name / "aliases";
    if (!fs::is_directory(dir)) return out;
    for (const auto& e : fs::directory_iterator(dir)) {
      // Only alias names: never another writer's temporary file (NAME.tmp.PID).
      std::string n = e.path().filename().string();
      if (!e.is_regular_file() || !std::regex_match(n, std::regex("[A-Za-z0-9_-]+"))) continue;
      std::string text = trim(read_file(e.path().string()));
      if (std::regex_match(text, std::regex("\\d{1,9}"))) out[n] = std::stoi(text);
    }
    return out;
  }

  void set_alias(const std::string& name, const std::string& alias, int version) override {
    // Written beside aliases/ and renamed into it: MLflow (and aliases())
    // read every file there as an alias, a half-written one included.
    const std::string model = models() + "/" + name;
    fs::create_directories(model + "/aliases");
    std::string tmp = model + "/" + private_name(".alias");
    write_file_atomic(tmp, std::to_string(version));
    commit_file_atomic(tmp, model + "/aliases/" + alias);
    touch_model(name, unix_millis());
  }

  void remove_alias(const std::string& name, const std::string& alias) override {
    fs::remove(models() + "/" + name + "/aliases/" + alias);
    touch_model(name, unix_millis());
  }

 private:
  std::string models() const { return root_ + "/models"; }

  // Every version-N directory with a meta.yaml, deleted ones included, ascending.
  std::vector<int> numbers(const std::string& name) const {
    std::vector<int> out;
    std::string dir = models() + "/" + name;
    if (!fs::is_directory(dir)) return out;
    std::smatch m;
    for (const auto& e : fs::directory_iterator(dir)) {
      std::string n = e.path().filename().string();
      if (std::regex_match(n, m, std::regex("version-(\\d+)")) &&
          fs::exists(e.path() / "meta.yaml"))
        out.push_back(std::stoi(m[1]));
    }
    std::sort(out.begin(), out.end());
    return out;
  }
  int highest_number(const std::string& name) const {
    auto n = numbers(name);
    return n.empty() ? 0 : n.back();
  }

  static std::string version_meta(const std::string& name, int v, int64_t t,
                                  const std::string& source, const std::string& run_id,
                                  const std::string& storage) {
    return "aliases: []\ncreation_timestamp: " + std::to_string(t) +
           "\ncurrent_stage: None\ndescription: null\n" +
           "last_updated_timestamp: " + std::to_string(t) + "\nname: " + yaml_quote(name) +
           "\nrun_id: " + (run_id.empty() ? std::string("null") : yaml_quote(run_id)) +
           "\nrun_link: null\nsource: " + yaml_quote(source) +
           "\nstatus: READY\nstatus_message: null\nstorage_location: " + yaml_quote(storage) +
           "\nuser_id: " + yaml_quote(user_name()) + "\nversion: " + std::to_string(v) + "\n";
  }

  // The registered model, created (all at once) when it does not exist yet.
  void ensure_model(const std::string& name) {
    std::string dst = models() + "/" + name;
    if (fs::exists(dst + "/meta.yaml")) return;
    fs::create_directories(root_ + "/.itwin-tmp");
    std::string tmp = root_ + "/.itwin-tmp/" + private_name(name);
    fs::create_directories(tmp);
    write_file_atomic(tmp + "/meta.yaml", registered_model_meta(name, unix_millis()));
    fs::create_directories(models());
    std::error_code ec;
    fs::rename(tmp, dst, ec);  // fails when another registration created it first: fine
    if (ec) fs::remove_all(tmp);
    fs::remove(root_ + "/.itwin-tmp",
               ec);  // when empty: MLflow takes directories here for experiments
    if (!fs::exists(dst + "/meta.yaml"))
      throw RuntimeError("cannot create " + dst + "/meta.yaml: " + ec.message());
  }

  // MLflow updates the registered model's last_updated_timestamp on each
  // change: a read-modify-write of meta.yaml (as YAML, whoever wrote it),
  // under a lock so that concurrent updates do not undo each other.
  void touch_model(const std::string& name, int64_t t) {
    // The lock file lies beside the model's directory: MLflow lists only directories there.
    FileLock lock(models() + "/." + name + ".lock");
    update_mlflow_meta(models() + "/" + name + "/meta.yaml", {{"last_updated_timestamp", t}});
  }

  std::string root_;
};

}  // namespace

std::unique_ptr<RegistryStore> make_mlflow_file_registry(const std::string& root) {
  return std::make_unique<MlflowFileRegistry>(root);
}

}  // namespace itwin::track
