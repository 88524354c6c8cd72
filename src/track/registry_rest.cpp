// The model registry on an MLflow tracking server (REST API 2.0:
// registered-models/create|get|search|alias, model-versions/create|get|search).
// The server holds names, versions, aliases and tags; the model files are
// copied, complete, to a directory under the registry's files root (a shared
// file system on a cluster) before the version that points at them
// (source file://DIR) is created, so a version never points at partial files.
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "itwin/util/error.hpp"
#include "itwin/util/strings.hpp"
#include "itwin/util/sysinfo.hpp"
#include "mlflow_client.hpp"
#include "registry_stores.hpp"

namespace fs = std::filesystem;

namespace itwin::track {
namespace {

std::string query(const std::map<std::string, std::string>& q) {
  std::string out;
  for (const auto& [k, v] : q) out += (out.empty() ? "?" : "&") + k + "=" + url_encode(v);
  return out;
}

class MlflowRestRegistry : public RegistryStore {
 public:
  MlflowRestRegistry(const std::string& uri, std::string files_root) : client_(uri), files_(std::move(files_root)) {}

  std::string describe() const override { return "MLflow server " + client_.base(); }

  ModelVersion add(const std::string& name, const VersionSource& src) override {
    // 1. The files, complete, in a directory of their own.
    std::string dir = fs::absolute(files_ + "/" + name + "/" + std::to_string(unix_millis()) + "-" + std::to_string(::getpid()))
                          .lexically_normal()
                          .string();
    copy_model_files(src.run_dir, dir);
    try {
      // 2. The registered model (one that exists already is fine).
      nlohmann::json create = {{"name", name}};
      auto made = client_.call("POST", "/api/2.0/mlflow/registered-models/create", &create, true);
      if (made.status != 200 && made.body.find("RESOURCE_ALREADY_EXISTS") == std::string::npos) {
        throw RuntimeError("mlflow: POST " + client_.base() + "/api/2.0/mlflow/registered-models/create failed: " +
                           (made.status ? "HTTP " + std::to_string(made.status) + " " + made.body.substr(0, 200) : made.error));
      }
      // 3. The version: the server gives it its number.
      nlohmann::json tags = nlohmann::json::array({{{"key", "itwin.source_run"}, {"value", src.run_dir}}});
      for (const auto& [k, v] : src.metrics) tags.push_back({{"key", "itwin.metric." + k}, {"value", metric_text(v)}});
      nlohmann::json body = {{"name", name}, {"source", "file://" + dir}, {"tags", tags}};
      if (!src.mlflow.kind.empty() && src.mlflow.store == client_.base()) body["run_id"] = src.mlflow.id;
      auto mv = client_.post("/api/2.0/mlflow/model-versions/create", body)["model_version"];
      return from_json(mv);
    } catch (...) {
      std::error_code ec;
      fs::remove_all(dir, ec);  // no version points at them
      fs::remove(fs::path(dir).parent_path(), ec);  // when no other version's files are there
      throw;
    }
  }

  std::vector<std::string> names() const override {
    std::vector<std::string> out;
    for (const auto& m : paged("/api/2.0/mlflow/registered-models/search", {}, "registered_models")) out.push_back(m["name"]);
    std::sort(out.begin(), out.end());
    return out;
  }

  std::vector<int> versions(const std::string& name) const override {
    std::vector<int> out;
    for (const auto& v : paged("/api/2.0/mlflow/model-versions/search", {{"filter", "name='" + name + "'"}}, "model_versions")) {
      if (v.value("name", "") == name) out.push_back(std::stoi(v["version"].get<std::string>()));
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  ModelVersion get(const std::string& name, int v) const override {
    return from_json(client_.get("/api/2.0/mlflow/model-versions/get" + query({{"name", name}, {"version", std::to_string(v)}}))["model_version"]);
  }

  std::map<std::string, int> aliases(const std::string& name) const override {
    std::map<std::string, int> out;
    auto r = client_.call("GET", "/api/2.0/mlflow/registered-models/get" + query({{"name", name}}), nullptr, true);
    if (r.status != 200) return out;
    auto j = nlohmann::json::parse(r.body, nullptr, false);
    if (j.is_discarded()) return out;
    for (const auto& a : j["registered_model"].value("aliases", nlohmann::json::array())) {
      out[a["alias"]] = std::stoi(a["version"].get<std::string>());
    }
    return out;
  }

  void set_alias(const std::string& name, const std::string& alias, int version) override {
    client_.post("/api/2.0/mlflow/registered-models/alias", {{"name", name}, {"alias", alias}, {"version", std::to_string(version)}});
  }

  void remove_alias(const std::string& name, const std::string& alias) override {
    client_.del("/api/2.0/mlflow/registered-models/alias" + query({{"name", name}, {"alias", alias}}), {{"name", name}, {"alias", alias}});
  }

 private:
  // Every item of a paged search (page_token / next_page_token).
  std::vector<nlohmann::json> paged(const std::string& path, std::map<std::string, std::string> q, const std::string& key) const {
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
    m.created = mv.value("creation_timestamp", int64_t{0}) / 1000.0;
    for (const auto& t : mv.value("tags", nlohmann::json::array())) {
      std::string k = t.value("key", ""), v = t.value("value", "");
      if (k == "itwin.source_run") m.source_run = v;
      if (starts_with(k, "itwin.metric.")) m.metrics[k.substr(13)] = std::atof(v.c_str());
    }
    for (const auto& a : mv.value("aliases", nlohmann::json::array())) m.aliases.push_back(a);
    return m;
  }

  mutable MlflowClient client_;
  std::string files_;
};

}  // namespace

std::unique_ptr<RegistryStore> make_mlflow_rest_registry(const std::string& uri, const std::string& files_root) {
  return std::make_unique<MlflowRestRegistry>(uri, files_root);
}

}  // namespace itwin::track
