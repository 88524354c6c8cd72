// The MLflow file store, as `mlflow ui --backend-store-uri DIR` reads it
// (mlflow/store/tracking/file_store.py): DIR/<experiment_id>/meta.yaml and
// DIR/<experiment_id>/<run_id>/{meta.yaml, params/, tags/, metrics/, artifacts/};
// a metric file holds lines "<timestamp_ms> <value> <step>".
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <regex>

#include "itwin/util/error.hpp"
#include "itwin/util/fs.hpp"
#include "itwin/util/lock.hpp"
#include "itwin/util/log.hpp"
#include "itwin/util/strings.hpp"
#include "itwin/util/sysinfo.hpp"
#include "mlflow_meta.hpp"
#include "sinks.hpp"

namespace fs = std::filesystem;

namespace itwin::track {
namespace {

// MLflow's key rule: alphanumerics, underscores, dashes, periods, spaces, slashes.
std::string safe_key(std::string k) {
  for (char& c : k)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.' ||
          c == ' ' || c == '/'))
      c = '_';
  return k;
}

std::string experiment_meta(const std::string& root, const std::string& id, const std::string& name,
                            int64_t t) {
  return "artifact_location: " + yaml_quote("file://" + root + "/" + id) +
         "\ncreation_time: " + std::to_string(t) + "\nexperiment_id: " + yaml_quote(id) +
         "\nlast_update_time: " + std::to_string(t) +
         "\nlifecycle_stage: active\nname: " + yaml_quote(name) + "\n";
}

// The id of experiment `name` under root, created when missing (ids are
// integers, 0 being MLflow's "Default"). Each meta.yaml is read as YAML: MLflow
// writes `name: x`, itwin `name: 'x'`. Two itwin writers of one store take a
// lock, so that both do not create the same experiment; a directory is taken
// with mkdir, which fails when another writer (MLflow's client too) has it.
std::string experiment_id(const std::string& root, const std::string& name) {
  fs::create_directories(root);
  FileLock lock(root + "/.itwin-experiments.lock");
  int64_t max_id = -1;
  for (const auto& e : fs::directory_iterator(root)) {
    std::string id = e.path().filename().string();
    if (!std::regex_match(id, std::regex("\\d+")) || !fs::exists(e.path() / "meta.yaml")) continue;
    // MLflow's own ids may be large random numbers: itwin counts on from its own.
    if (id.size() <= 15) max_id = std::max<int64_t>(max_id, std::stoll(id));
    auto meta = read_mlflow_meta((e.path() / "meta.yaml").string());
    if (meta["name"] == name && meta["lifecycle_stage"] != "deleted")
      return meta["experiment_id"].empty() ? id : meta["experiment_id"];
  }
  int64_t t = unix_millis();
  if (max_id < 0 && !fs::exists(root + "/0")) {
    write_file_atomic(root + "/0/meta.yaml", experiment_meta(root, "0", "Default", t));
  }
  for (int64_t id = std::max<int64_t>(max_id, 0) + 1;; ++id) {
    std::string dir = root + "/" + std::to_string(id);
    if (::mkdir(dir.c_str(), 0755) != 0) {
      if (errno == EEXIST) continue;
      throw_errno("cannot create " + dir);
    }
    write_file_atomic(dir + "/meta.yaml", experiment_meta(root, std::to_string(id), name, t));
    return std::to_string(id);
  }
}

std::string new_run_id() {
  std::random_device rd;
  std::mt19937_64 g((static_cast<uint64_t>(rd()) << 32) ^ rd() ^
                    static_cast<uint64_t>(unix_millis()) ^ static_cast<uint64_t>(::getpid()));
  char buf[33];
  std::snprintf(buf, sizeof buf, "%016llx%016llx", static_cast<unsigned long long>(g()),
                static_cast<unsigned long long>(g()));
  return buf;
}

class MlflowFileSink : public FilteredSink {
 public:
  MlflowFileSink(const config::LoggerSpec& spec, const RunInfo& run) : FilteredSink(spec) {
    const std::string& job = run.job_dir.empty() ? run.run_dir : run.job_dir;
    root_ = fs::absolute(spec.dir.empty() ? job + "/mlruns" : spec.dir).lexically_normal().string();
    exp_ = experiment_id(root_, spec.experiment.empty() ? run.run_name : spec.experiment);
    id_ = new_run_id();
    start_ = unix_millis();
    // A resumed run continues its MLflow run when that is still in the store.
    const std::string old = root_ + "/" + exp_ + "/" + spec.continue_run_id;
    if (!spec.continue_run_id.empty() && fs::exists(old + "/meta.yaml")) {
      std::string start = read_mlflow_meta(old + "/meta.yaml")["start_time"];
      if (std::regex_match(start, std::regex("\\d+"))) start_ = std::stoll(start);
      id_ = spec.continue_run_id;
    }
    dir_ = root_ + "/" + exp_ + "/" + id_;
    name_ = mlflow_run_name(run);
    run_dir_ = run.run_dir;
    for (const char* sub : {"metrics", "params", "tags", "artifacts"})
      fs::create_directories(dir_ + "/" + sub);
    write_meta(1, "null");  // RUNNING
    std::map<std::string, std::string> tags = mlflow_tags(spec, run);
    tags["mlflow.runName"] = name_;  // a server sets it itself
    for (const auto& [k, v] : tags) write_file_atomic(dir_ + "/tags/" + safe_key(k), v);
  }

  void params(const std::map<std::string, std::string>& p) override {
    for (const auto& [k, v] : p)
      write_file_atomic(dir_ + "/params/" + safe_key(k), v.substr(0, 6000));  // MLflow's limit
  }

  TrackedRun tracked_run() const override { return {"mlflow", root_, exp_, id_}; }

  // Status codes of MLflow's RunStatus: RUNNING 1, FINISHED 3, FAILED 4, KILLED 5.
  void close(const std::string& status) override {
    for (auto& [k, f] : metrics_) f->flush();
    int code = status == "FINISHED" ? 3 : status == "KILLED" ? 5 : 4;
    for (const auto& f : run_files()) {
      if (!fs::exists(fs::path(run_dir_) / f)) continue;
      try {
        write_file_atomic(dir_ + "/artifacts/" + f, run_file_bytes(run_dir_, f));
      } catch (const Error& e) {
        spdlog::error("mlflow: could not copy {} to the run's artifacts: {}", f, e.what());
      }
    }
    write_meta(code, std::to_string(unix_millis()));
  }

 private:
  void write(const MetricPoint& p) override {
    int64_t ts = static_cast<int64_t>(p.time * 1000);
    for (const auto& [k, v] : p.values) {
      auto& out = metrics_[k];
      if (!out)
        out = std::make_unique<std::ofstream>(dir_ + "/metrics/" + safe_key(k), std::ios::app);
      char buf[64];
      std::snprintf(buf, sizeof buf, " %.17g %lld\n", v, static_cast<long long>(p.step));
      *out << ts << buf;
      if (!p.per_step) out->flush();
    }
  }

  void write_meta(int status, const std::string& end) {
    std::string m = "artifact_uri: " + yaml_quote("file://" + dir_ + "/artifacts") +
                    "\nend_time: " + end +
                    "\nentry_point_name: ''\nexperiment_id: " + yaml_quote(exp_) +
                    "\nlifecycle_stage: active\nrun_id: " + id_ +
                    "\nrun_name: " + yaml_quote(name_) + "\nrun_uuid: " + id_ +
                    "\nsource_name: ''\nsource_type: 4\nsource_version: ''\nstart_time: " +
                    std::to_string(start_) + "\nstatus: " + std::to_string(status) +
                    "\ntags: []\nuser_id: " + yaml_quote(user_name()) + "\n";
    write_file_atomic(dir_ + "/meta.yaml", m);
  }

  std::string root_, exp_, id_, dir_, name_, run_dir_;
  std::map<std::string, std::unique_ptr<std::ofstream>> metrics_;  // open metric files
  int64_t start_ = 0;
};

}  // namespace

std::string mlflow_run_name(const RunInfo& run) {
  return run.world > 1 && run.rank > 0 ? run.run_name + "-rank-" + std::to_string(run.rank)
                                       : run.run_name;
}

std::map<std::string, std::string> mlflow_tags(const config::LoggerSpec& spec, const RunInfo& run) {
  std::map<std::string, std::string> tags = run.tags;
  tags["mlflow.source.name"] = run.config_source;
  tags["itwin.pipeline"] = run.pipeline;
  tags["itwin.rank"] = std::to_string(run.rank);
  tags["itwin.world_size"] = std::to_string(run.world);
  tags["mlflow.user"] = user_name();  // as MLflow's client sets them
  tags["mlflow.source.type"] = "LOCAL";
  if (!spec.parent_run_id.empty()) tags["mlflow.parentRunId"] = spec.parent_run_id;
  return tags;
}

// tracking_uri (or MLFLOW_TRACKING_URI): http(s):// -> a tracking server over
// REST; file://PATH or PATH -> a file store there; none -> RUN_DIR/mlruns.
std::unique_ptr<MetricSink> make_mlflow(const config::LoggerSpec& spec, const RunInfo& run) {
  std::string uri = spec.tracking_uri;
  if (uri.empty() && spec.dir.empty()) {
    if (const char* env = std::getenv("MLFLOW_TRACKING_URI")) uri = env;
  }
  if (uri.rfind("http://", 0) == 0 || uri.rfind("https://", 0) == 0)
    return make_mlflow_rest(spec, run, uri);
  config::LoggerSpec file = spec;
  if (!uri.empty()) file.dir = uri.rfind("file://", 0) == 0 ? uri.substr(7) : uri;
  return std::make_unique<MlflowFileSink>(file, run);
}

}  // namespace itwin::track
