// The MLflow logger for a tracking server (REST API 2.0): experiments
// get-by-name / create, runs create / log-batch / update. Metrics are
// batched (at most 1000 per log-batch, as the server allows) and sent in
// order; a batch that cannot be delivered after the client's retries is kept
// for the next flush and, at the end, written to the run directory.
#include <deque>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "itwin/util/error.hpp"
#include "itwin/util/fs.hpp"
#include "itwin/util/log.hpp"
#include "itwin/util/sysinfo.hpp"
#include "mlflow_artifacts.hpp"
#include "mlflow_client.hpp"
#include "sinks.hpp"

namespace itwin::track {
namespace {

constexpr size_t kMaxParamLength = 6000;  // MLflow's MAX_PARAM_VAL_LENGTH, the file store's too

class MlflowRestSink : public FilteredSink {
 public:
  MlflowRestSink(const config::LoggerSpec& spec, const RunInfo& run, std::string uri)
      : FilteredSink(spec), client_(std::move(uri)), run_dir_(run.run_dir) {
    std::string name = spec.experiment.empty() ? run.run_name : spec.experiment;
    // 1. The experiment: found by name, else created.
    auto got = client_.call(
        "GET", "/api/2.0/mlflow/experiments/get-by-name?experiment_name=" + url_encode(name),
        nullptr, true);
    if (got.status == 200) {
      exp_ = nlohmann::json::parse(got.body)["experiment"]["experiment_id"].get<std::string>();
    } else {
      exp_ = client_.post("/api/2.0/mlflow/experiments/create", {{"name", name}})["experiment_id"]
                 .get<std::string>();
    }
    // 2. A resumed run continues its run when the server still has it.
    if (!spec.continue_run_id.empty() && continue_run(spec.continue_run_id)) return;
    // 3. Else a new run, with the itwin tags (and its parent, for nested runs).
    nlohmann::json tags = nlohmann::json::array();
    for (const auto& [k, v] : mlflow_tags(spec, run)) tags.push_back({{"key", k}, {"value", v}});
    auto created = client_.post("/api/2.0/mlflow/runs/create", {{"experiment_id", exp_},
                                                                {"start_time", unix_millis()},
                                                                {"run_name", mlflow_run_name(run)},
                                                                {"user_id", user_name()},
                                                                {"tags", tags}});
    id_ = created["run"]["info"]["run_id"].get<std::string>();
    artifact_uri_ = created["run"]["info"].value("artifact_uri", "");
  }

  bool continue_run(const std::string& id) {
    auto got =
        client_.call("GET", "/api/2.0/mlflow/runs/get?run_id=" + url_encode(id), nullptr, true);
    auto j = nlohmann::json::parse(got.body, nullptr, false);
    if (got.status != 200 || j.is_discarded() ||
        j["run"]["info"].value("experiment_id", "") != exp_)
      return false;
    id_ = id;
    artifact_uri_ = j["run"]["info"].value("artifact_uri", "");
    nlohmann::json body = {{"run_id", id_}, {"status", "RUNNING"}};
    client_.call("POST", "/api/2.0/mlflow/runs/update", &body, true);
    return true;
  }

  void params(const std::map<std::string, std::string>& p) override {
    nlohmann::json batch = nlohmann::json::array();
    for (const auto& [k, v] : p) {
      batch.push_back({{"key", k}, {"value", v.substr(0, kMaxParamLength)}});
      if (batch.size() == 100) {  // the server's limit per log-batch
        send_batch({{"run_id", id_}, {"params", batch}});
        batch = nlohmann::json::array();
      }
    }
    if (!batch.empty()) send_batch({{"run_id", id_}, {"params", batch}});
  }

  TrackedRun tracked_run() const override { return {"mlflow", client_.base(), exp_, id_}; }

  void close(const std::string& status) override {
    flush(true);
    upload_artifacts();
    nlohmann::json body = {{"run_id", id_}, {"status", status}, {"end_time", unix_millis()}};
    client_.call("POST", "/api/2.0/mlflow/runs/update", &body, true);
  }

 private:
  void write(const MetricPoint& p) override {
    int64_t ts = static_cast<int64_t>(p.time * 1000);
    for (const auto& [k, v] : p.values)
      pending_.push_back({{"key", k}, {"value", v}, {"timestamp", ts}, {"step", p.step}});
    if (!p.per_step || pending_.size() >= 1000) flush(false);
  }

  // Sends pending metrics in order, 1000 per request; stops at the first batch
  // that cannot be delivered and keeps it (and what follows) for later.
  void flush(bool final) {
    while (!pending_.empty()) {
      size_t n = std::min<size_t>(1000, pending_.size());
      nlohmann::json metrics = nlohmann::json::array();
      for (size_t i = 0; i < n; ++i) metrics.push_back(pending_[i]);
      if (!send_batch({{"run_id", id_}, {"metrics", metrics}})) break;
      pending_.erase(pending_.begin(), pending_.begin() + static_cast<long>(n));
    }
    if (final && !pending_.empty()) {
      std::string path = run_dir_ + "/mlflow-unsent.jsonl";
      std::string lines;
      for (const auto& m : pending_) lines += m.dump() + "\n";
      write_file_atomic(path, lines);
      spdlog::error("mlflow: {} metric values could not be sent to {}; kept in {}", pending_.size(),
                    client_.base(), path);
    }
  }

  // The run's files, as its artifacts: through the server's artifact proxy
  // (mlflow-artifacts:/ URIs: `mlflow server` with --serve-artifacts, MLflow
  // 2's default) or into a file:// artifact root shared with the server.
  // Other artifact stores (s3://, ...) are not written to.
  void upload_artifacts() {
    RunArtifacts artifacts(client_, artifact_uri_);
    if (!artifacts.reachable()) {
      if (!artifact_uri_.empty())
        spdlog::info("mlflow: artifacts stay in {} (the server stores them at {})", run_dir_,
                     artifact_uri_);
      return;
    }
    for (const auto& f : run_files()) {
      if (!std::filesystem::exists(run_dir_ + "/" + f)) continue;
      try {
        artifacts.put(f, run_file_bytes(run_dir_, f));
      } catch (const Error& e) {
        spdlog::error("{}; it stays in {}", e.what(), run_dir_);
      }
    }
  }

  bool send_batch(const nlohmann::json& body) {
    return client_.call("POST", "/api/2.0/mlflow/runs/log-batch", &body, true).status == 200;
  }

  MlflowClient client_;
  std::string run_dir_, exp_, id_, artifact_uri_;
  std::deque<nlohmann::json> pending_;
};

}  // namespace

std::unique_ptr<MetricSink> make_mlflow_rest(const config::LoggerSpec& spec, const RunInfo& run,
                                             const std::string& uri) {
  return std::make_unique<MlflowRestSink>(spec, run, uri);
}

}  // namespace itwin::track
