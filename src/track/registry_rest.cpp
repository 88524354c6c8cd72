// The model registry on an MLflow tracking server (REST API 2.0:
// registered-models/create|get|search|alias|delete, model-versions/create|get|search).
// A version's files are artifacts of an MLflow run on the server, and its
// source is `runs:/RUN_ID/PATH` (MLflow >= 2.3 refuses local file:// sources):
//   1. the run: the one the model was trained in when that run is on this
//      server, else a new run (experiment "itwin-registry") made to hold them;
//   2. the files go to PATH (model, model-2, ...) in that run's artifacts,
//      `itwin-files.json` (sizes and hashes) last; a PATH already holding
//      exactly these files is reused, one holding anything else never touched;
//   3. the registered model (an existing one is fine), then the version.
// If a step fails, what the earlier ones made is removed again (the files
// uploaded, the run made for them, a registered model left without versions).
// A pipeline that loads a version downloads its files once into a cache.
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "itwin/track/loggers.hpp"
#include "itwin/track/provenance.hpp"
#include "itwin/util/error.hpp"
#include "itwin/util/fs.hpp"
#include "itwin/util/log.hpp"
#include "itwin/util/strings.hpp"
#include "itwin/util/sysinfo.hpp"
#include "mlflow_artifacts.hpp"
#include "mlflow_client.hpp"
#include "registry_stores.hpp"
#include "sinks.hpp"

namespace fs = std::filesystem;

namespace itwin::track {
namespace {

const char* kManifest = "itwin-files.json";

std::string query(const std::map<std::string, std::string>& q) {
  std::string out;
  for (const auto& [k, v] : q) out += (out.empty() ? "?" : "&") + k + "=" + url_encode(v);
  return out;
}

// {"files": {NAME: {"size": N, "fnv1a64": H}}} for the model files of a run directory.
nlohmann::json manifest_of(const std::map<std::string, std::string>& files) {
  nlohmann::json m = {{"files", nlohmann::json::object()}};
  for (const auto& [name, bytes] : files)
    m["files"][name] = {{"size", bytes.size()}, {"fnv1a64", fnv1a64(bytes)}};
  return m;
}

// What was made for a registration, undone when a later step fails.
struct Made {
  std::string run_id;                       // a run created to hold the files
  std::unique_ptr<RunArtifacts> artifacts;  // where files were uploaded
  std::string path;                         // the uploaded path ("" when reused)
  bool model = false;                       // the registered model was created now
};

class MlflowRestRegistry : public RegistryStore {
 public:
  MlflowRestRegistry(const std::string& uri, std::string cache_root)
      : client_(uri), cache_(std::move(cache_root)) {}

  std::string describe() const override { return "MLflow server " + client_.base(); }

  ModelVersion add(const std::string& name, const VersionSource& src) override {
    std::map<std::string, std::string> files;  // what the version holds, read once
    for (const auto& f : run_files()) {
      if (fs::exists(fs::path(src.run_dir) / f)) files[f] = run_file_bytes(src.run_dir, f);
    }
    Made made;
    try {
      auto [run_id, artifact_uri] = holding_run(src, made);
      made.artifacts = std::make_unique<RunArtifacts>(client_, artifact_uri);
      if (!made.artifacts->reachable()) {
        throw RuntimeError(
            "mlflow: the server keeps run artifacts at " + artifact_uri +
            ", which itwin cannot write; start `mlflow server` with --serve-artifacts (MLflow 2's "
            "default) or an artifact root on a file system shared with this machine");
      }
      std::string path = upload(*made.artifacts, files, made);
      if (!made.run_id.empty()) end_run(made.run_id);
      // The registered model (one that exists already is fine), then the version.
      nlohmann::json create = {{"name", name}};
      auto r = client_.call("POST", "/api/2.0/mlflow/registered-models/create", &create, true);
      if (r.status == 200) {
        made.model = true;
      } else if (r.body.find("RESOURCE_ALREADY_EXISTS") == std::string::npos) {
        throw RuntimeError(
            "mlflow: POST " + client_.base() +
            "/api/2.0/mlflow/registered-models/create failed: " + MlflowClient::describe(r));
      }
      nlohmann::json tags =
          nlohmann::json::array({{{"key", "itwin.source_run"}, {"value", src.run_dir}}});
      for (const auto& [k, v] : src.metrics)
        tags.push_back({{"key", "itwin.metric." + k}, {"value", metric_text(v)}});
      nlohmann::json body = {{"name", name},
                             {"source", "runs:/" + run_id + "/" + path},
                             {"run_id", run_id},
                             {"tags", tags}};
      return from_json(
          client_.post("/api/2.0/mlflow/model-versions/create", body)["model_version"]);
    } catch (...) {
      undo(name, made);
      throw;
    }
  }

  std::vector<std::string> names() const override {
    std::vector<std::string> out;
    for (const auto& m : paged("/api/2.0/mlflow/registered-models/search", {}, "registered_models"))
      out.push_back(m["name"]);
    std::sort(out.begin(), out.end());
    return out;
  }

  std::vector<int> versions(const std::string& name) const override {
    std::vector<int> out;
    for (const auto& v : paged("/api/2.0/mlflow/model-versions/search",
                               {{"filter", "name='" + name + "'"}}, "model_versions")) {
      if (v.value("name", "") == name) out.push_back(std::stoi(v["version"].get<std::string>()));
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  ModelVersion get(const std::string& name, int v) const override {
    return from_json(
        client_.get("/api/2.0/mlflow/model-versions/get" +
                    query({{"name", name}, {"version", std::to_string(v)}}))["model_version"]);
  }

  std::map<std::string, int> aliases(const std::string& name) const override {
    std::map<std::string, int> out;
    auto r = client_.call("GET", "/api/2.0/mlflow/registered-models/get" + query({{"name", name}}),
                          nullptr, true);
    if (r.status != 200) return out;
    auto j = nlohmann::json::parse(r.body, nullptr, false);
    if (j.is_discarded()) return out;
    for (const auto& a : j["registered_model"].value("aliases", nlohmann::json::array())) {
      out[a["alias"]] = std::stoi(a["version"].get<std::string>());
    }
    return out;
  }

  void set_alias(const std::string& name, const std::string& alias, int version) override {
    client_.post("/api/2.0/mlflow/registered-models/alias",
                 {{"name", name}, {"alias", alias}, {"version", std::to_string(version)}});
  }

  void remove_alias(const std::string& name, const std::string& alias) override {
    client_.del(
        "/api/2.0/mlflow/registered-models/alias" + query({{"name", name}, {"alias", alias}}),
        {{"name", name}, {"alias", alias}});
  }

  ModelVersion with_local_files(const ModelVersion& v) const override {
    ModelVersion out = v;
    if (fs::is_directory(v.dir)) return out;  // a file:// source (itwin before runs:/ sources)
    std::string run_id, path, root;
    if (starts_with(v.dir, "runs:/")) {
      std::string rest = v.dir.substr(6);
      while (!rest.empty() && rest[0] == '/') rest.erase(0, 1);
      auto slash = rest.find('/');
      run_id = rest.substr(0, slash);
      path = slash == std::string::npos ? "" : rest.substr(slash + 1);
      root = client_.get("/api/2.0/mlflow/runs/get" + query({{"run_id", run_id}}))["run"]["info"]
                 .value("artifact_uri", "");
    } else if (starts_with(v.dir, "mlflow-artifacts:")) {
      root = v.dir;
    } else {
      throw RuntimeError("model " + v.name + " version " + std::to_string(v.version) +
                         ": its files at '" + v.dir +
                         "' cannot be loaded by itwin (runs:/ and mlflow-artifacts:/ sources can)");
    }
    // Versions never change: one download per source, checked, renamed into place.
    out.dir = cache_ + "/" +
              (run_id.empty() ? "artifacts/" + fnv1a64(v.dir)
                              : run_id + "/" + (path.empty() ? "root" : path));
    if (fs::is_directory(out.dir)) return out;
    RunArtifacts artifacts(client_, root);
    std::string tmp = out.dir + "." + private_name("download");
    try {
      download(artifacts, path, tmp, v);
      fs::rename(tmp, out.dir);
    } catch (...) {
      std::error_code ec;
      fs::remove_all(tmp, ec);
      if (!fs::is_directory(out.dir)) throw;  // else another process got there first
    }
    return out;
  }

 private:
  // The run that holds the version's files: the run it was trained in when
  // that is on this server, else a new one. Returns its id and artifact URI.
  std::pair<std::string, std::string> holding_run(const VersionSource& src, Made& made) {
    if (!src.mlflow.kind.empty() && src.mlflow.store == client_.base()) {
      auto r = client_.call("GET", "/api/2.0/mlflow/runs/get" + query({{"run_id", src.mlflow.id}}),
                            nullptr, true);
      auto j = nlohmann::json::parse(r.body, nullptr, false);
      if (r.status == 200 && !j.is_discarded() &&
          j["run"]["info"].value("lifecycle_stage", "") == "active") {
        return {src.mlflow.id, j["run"]["info"].value("artifact_uri", "")};
      }
      spdlog::warn("mlflow: run {} of {} is no longer on {}; the model files go to a new run",
                   src.mlflow.id, src.run_dir, client_.base());
    }
    std::string exp;
    auto got = client_.call(
        "GET",
        "/api/2.0/mlflow/experiments/get-by-name" + query({{"experiment_name", "itwin-registry"}}),
        nullptr, true);
    if (got.status == 200) {
      exp = nlohmann::json::parse(got.body)["experiment"]["experiment_id"].get<std::string>();
    } else {
      exp = client_
                .post("/api/2.0/mlflow/experiments/create",
                      {{"name", "itwin-registry"}})["experiment_id"]
                .get<std::string>();
    }
    nlohmann::json tags =
        nlohmann::json::array({{{"key", "itwin.source_run"}, {"value", src.run_dir}},
                               {{"key", "mlflow.user"}, {"value", user_name()}},
                               {{"key", "mlflow.source.type"}, {"value", "LOCAL"}},
                               {{"key", "mlflow.source.name"}, {"value", src.run_dir}}});
    auto created = client_.post("/api/2.0/mlflow/runs/create",
                                {{"experiment_id", exp},
                                 {"start_time", unix_millis()},
                                 {"run_name", fs::path(src.run_dir).filename().string()},
                                 {"user_id", user_name()},
                                 {"tags", tags}});
    made.run_id = created["run"]["info"]["run_id"].get<std::string>();
    return {made.run_id, created["run"]["info"].value("artifact_uri", "")};
  }

  void end_run(const std::string& id) {
    nlohmann::json body = {{"run_id", id}, {"status", "FINISHED"}, {"end_time", unix_millis()}};
    client_.call("POST", "/api/2.0/mlflow/runs/update", &body, true);
  }

  // The files under the first of model, model-2, ... that is free (or holds
  // exactly these files); the manifest last, so a path is complete when it has one.
  std::string upload(RunArtifacts& artifacts, const std::map<std::string, std::string>& files,
                     Made& made) {
    const nlohmann::json manifest = manifest_of(files);
    for (int i = 1; i <= 100; ++i) {
      std::string path = i == 1 ? "model" : "model-" + std::to_string(i);
      if (!artifacts.list(path).empty()) {
        auto there = artifacts.get(path + "/" + kManifest);
        if (there && nlohmann::json::parse(*there, nullptr, false) == manifest)
          return path;  // already uploaded
        continue;       // another model's files, or an interrupted upload: never touched
      }
      made.path = path;
      for (const auto& [name, bytes] : files) artifacts.put(path + "/" + name, bytes);
      artifacts.put(path + "/" + kManifest, manifest.dump(2) + "\n");
      return path;
    }
    throw RuntimeError("mlflow: no free artifact path for the model files in " + artifacts.root());
  }

  void undo(const std::string& name, Made& made) noexcept {
    try {
      if (made.artifacts && !made.path.empty()) made.artifacts->remove(made.path);
      if (!made.run_id.empty()) {
        nlohmann::json body = {{"run_id", made.run_id}};
        client_.call("POST", "/api/2.0/mlflow/runs/delete", &body, true);
      }
      if (made.model && versions(name).empty()) {
        nlohmann::json body = {{"name", name}};
        client_.call("DELETE", "/api/2.0/mlflow/registered-models/delete", &body, true);
      }
    } catch (...) {
      // the server went away too: the first error is the one to report
    }
  }

  // The files of a version into `dir`, each checked against the manifest when there is one.
  static void download(RunArtifacts& artifacts, const std::string& path, const std::string& dir,
                       const ModelVersion& v) {
    const std::string where =
        "model " + v.name + " version " + std::to_string(v.version) + " (" + v.dir + ")";
    auto prefix = [&](const std::string& f) { return path.empty() ? f : path + "/" + f; };
    auto text = artifacts.get(prefix(kManifest));
    nlohmann::json manifest =
        text ? nlohmann::json::parse(*text, nullptr, false) : nlohmann::json();
    std::vector<std::string> names;
    if (manifest.is_object() && manifest.contains("files")) {
      for (const auto& [f, info] : manifest["files"].items()) names.push_back(f);
    } else {
      names = artifacts.list(path);  // registered by another client: take what is there
    }
    if (names.empty()) throw RuntimeError(where + ": no files there");
    fs::create_directories(dir);
    for (const auto& f : names) {
      auto bytes = artifacts.get(prefix(f));
      if (!bytes) throw RuntimeError(where + ": " + f + " is missing");
      if (manifest.is_object() && manifest.contains("files")) {
        const auto& want = manifest["files"][f];
        if (bytes->size() != want.value("size", size_t{0}) ||
            fnv1a64(*bytes) != want.value("fnv1a64", "")) {
          throw RuntimeError(where + ": " + f + " does not match its recorded size and hash");
        }
      }
      write_file_atomic(dir + "/" + f, *bytes);
    }
  }

  // Every item of a paged search (page_token / next_page_token).
  std::vector<nlohmann::json> paged(const std::string& path, std::map<std::string, std::string> q,
                                    const std::string& key) const {
    std::vector<nlohmann::json> out;
    q["max_results"] = "1000";
    for (int page = 0; page < 1000; ++page) {
      auto j = client_.get(path + query(q));
      for (const auto& item : j.value(key, nlohmann::json::array())) out.push_back(item);
      if (!j.contains("next_page_token") || j["next_page_token"].get<std::string>().empty()) break;
      q["page_token"] = j["next_page_token"];
    }
    return out;
  }

  ModelVersion from_json(const nlohmann::json& mv) const {
    ModelVersion m;
    m.name = mv.value("name", "");
    m.version = std::stoi(mv.value("version", "0"));
    std::string source = mv.value("source", "");
    m.dir = starts_with(source, "file://") ? source.substr(7) : source;
    m.run_id = mv.value("run_id", "");
    m.created = static_cast<double>(mv.value("creation_timestamp", int64_t{0})) / 1000.0;
    for (const auto& t : mv.value("tags", nlohmann::json::array())) {
      std::string k = t.value("key", ""), v = t.value("value", "");
      if (k == "itwin.source_run") m.source_run = v;
      if (starts_with(k, "itwin.metric.")) m.metrics[k.substr(13)] = std::atof(v.c_str());
    }
    for (const auto& a : mv.value("aliases", nlohmann::json::array())) m.aliases.push_back(a);
    return m;
  }

  mutable MlflowClient client_;
  std::string cache_;
};

}  // namespace

std::unique_ptr<RegistryStore> make_mlflow_rest_registry(const std::string& uri,
                                                         const std::string& cache_root) {
  return std::make_unique<MlflowRestRegistry>(uri, cache_root);
}

}  // namespace itwin::track
