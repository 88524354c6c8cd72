// MLflow's REST API (2.0) for a tracking server: experiments get-by-name /
// create, runs create / log-batch / update. Credentials come from the
// environment (MLFLOW_TRACKING_TOKEN, or MLFLOW_TRACKING_USERNAME and
// MLFLOW_TRACKING_PASSWORD) and are never printed. Metrics are batched (at
// most 1000 per log-batch, as the server allows) and sent in order; failed
// requests are retried with exponential backoff; what could not be sent is
// kept for the next flush and, at the end, written to the run directory.
#include <chrono>
#include <cstdlib>
#include <deque>
#include <nlohmann/json.hpp>
#include <thread>

#include "http.hpp"
#include "itwin/util/error.hpp"
#include "itwin/util/fs.hpp"
#include "itwin/util/log.hpp"
#include "sinks.hpp"

namespace itwin::track {
namespace {

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::vector<std::string> auth_headers() {
  if (const char* t = std::getenv("MLFLOW_TRACKING_TOKEN")) return {std::string("Authorization: Bearer ") + t};
  const char* u = std::getenv("MLFLOW_TRACKING_USERNAME");
  const char* p = std::getenv("MLFLOW_TRACKING_PASSWORD");
  if (u && p) {
    static const char* b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string in = std::string(u) + ":" + p, out;
    for (size_t i = 0; i < in.size(); i += 3) {
      uint32_t n = static_cast<unsigned char>(in[i]) << 16;
      if (i + 1 < in.size()) n |= static_cast<unsigned char>(in[i + 1]) << 8;
      if (i + 2 < in.size()) n |= static_cast<unsigned char>(in[i + 2]);
      out += b64[(n >> 18) & 63];
      out += b64[(n >> 12) & 63];
      out += i + 1 < in.size() ? b64[(n >> 6) & 63] : '=';
      out += i + 2 < in.size() ? b64[n & 63] : '=';
    }
    return {"Authorization: Basic " + out};
  }
  return {};
}

class MlflowRestSink : public FilteredSink {
 public:
  MlflowRestSink(const config::LoggerSpec& spec, const RunInfo& run, std::string uri)
      : FilteredSink(spec), base_(std::move(uri)), headers_(auth_headers()), run_dir_(run.run_dir) {
    while (!base_.empty() && base_.back() == '/') base_.pop_back();
    std::string name = spec.experiment.empty() ? run.run_name : spec.experiment;
    // 1. The experiment: found by name, else created.
    auto got = get("/api/2.0/mlflow/experiments/get-by-name?experiment_name=" + url_encode(name));
    if (got.status == 200) {
      exp_ = nlohmann::json::parse(got.body)["experiment"]["experiment_id"].get<std::string>();
    } else {
      auto made = post("/api/2.0/mlflow/experiments/create", {{"name", name}}, false);
      exp_ = nlohmann::json::parse(made.body)["experiment_id"].get<std::string>();
    }
    // 2. The run, with the itwin tags.
    nlohmann::json tags = nlohmann::json::array();
    auto t = run.tags;
    t["mlflow.source.name"] = run.config_source;
    t["itwin.pipeline"] = run.pipeline;
    t["itwin.rank"] = std::to_string(run.rank);
    for (const auto& [k, v] : t) tags.push_back({{"key", k}, {"value", v}});
    std::string run_name = run.world > 1 && run.rank > 0 ? run.run_name + "-rank-" + std::to_string(run.rank) : run.run_name;
    auto created = post("/api/2.0/mlflow/runs/create",
                        {{"experiment_id", exp_}, {"start_time", now_ms()}, {"run_name", run_name}, {"tags", tags}}, false);
    id_ = nlohmann::json::parse(created.body)["run"]["info"]["run_id"].get<std::string>();
  }

  void params(const std::map<std::string, std::string>& p) override {
    nlohmann::json batch = nlohmann::json::array();
    for (const auto& [k, v] : p) {
      batch.push_back({{"key", k}, {"value", v.substr(0, 500)}});
      if (batch.size() == 100) {  // the server's limit per log-batch
        send_batch({{"run_id", id_}, {"params", batch}});
        batch = nlohmann::json::array();
      }
    }
    if (!batch.empty()) send_batch({{"run_id", id_}, {"params", batch}});
  }

  void close(const std::string& status) override {
    flush(true);
    post("/api/2.0/mlflow/runs/update", {{"run_id", id_}, {"status", status}, {"end_time", now_ms()}}, true);
  }

 private:
  void write(const MetricPoint& p) override {
    int64_t ts = static_cast<int64_t>(p.time * 1000);
    for (const auto& [k, v] : p.values) pending_.push_back({{"key", k}, {"value", v}, {"timestamp", ts}, {"step", p.step}});
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
      spdlog::error("mlflow: {} metric values could not be sent to {}; kept in {}", pending_.size(), base_, path);
    }
  }

  bool send_batch(const nlohmann::json& body) {
    return post("/api/2.0/mlflow/runs/log-batch", body, true).status == 200;
  }

  HttpResponse get(const std::string& path) { return call(path, nullptr, true); }
  HttpResponse post(const std::string& path, const nlohmann::json& body, bool tolerant) {
    std::string text = body.dump();
    return call(path, &text, tolerant);
  }

  // One request with retries (connection errors, 429, 5xx): 6 tries, backoff
  // 0.1 s doubling. `tolerant`: return the last answer instead of throwing.
  HttpResponse call(const std::string& path, const std::string* body, bool tolerant) {
    HttpResponse r;
    double wait = 0.1;
    for (int attempt = 0; attempt < 6; ++attempt) {
      r = http_request(base_ + path, body, headers_, 10);
      bool retry = r.status == 0 || r.status == 429 || r.status >= 500;
      if (!retry) break;
      std::this_thread::sleep_for(std::chrono::duration<double>(wait));  // backoff before retrying
      wait *= 2;
    }
    if (r.status != 200 && !tolerant) {
      throw RuntimeError("mlflow: " + std::string(body ? "POST " : "GET ") + base_ + path + " failed: " +
                         (r.status ? "HTTP " + std::to_string(r.status) + " " + r.body.substr(0, 200) : r.error));
    }
    return r;
  }

  std::string base_;
  std::vector<std::string> headers_;
  std::string run_dir_, exp_, id_;
  std::deque<nlohmann::json> pending_;
};

}  // namespace

std::unique_ptr<MetricSink> make_mlflow_rest(const config::LoggerSpec& spec, const RunInfo& run, const std::string& uri) {
  return std::make_unique<MlflowRestSink>(spec, run, uri);
}

}  // namespace itwin::track
