#include "mlflow_client.hpp"

#include <chrono>
#include <cstdlib>
#include <thread>

#include "itwin/util/error.hpp"

namespace itwin::track {
namespace {

std::string base64(const std::string& in) {
  static const char* b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (size_t i = 0; i < in.size(); i += 3) {
    uint32_t n = static_cast<unsigned char>(in[i]) << 16;
    if (i + 1 < in.size()) n |= static_cast<unsigned char>(in[i + 1]) << 8;
    if (i + 2 < in.size()) n |= static_cast<unsigned char>(in[i + 2]);
    out += b64[(n >> 18) & 63];
    out += b64[(n >> 12) & 63];
    out += i + 1 < in.size() ? b64[(n >> 6) & 63] : '=';
    out += i + 2 < in.size() ? b64[n & 63] : '=';
  }
  return out;
}

std::vector<std::string> auth_headers() {
  if (const char* t = std::getenv("MLFLOW_TRACKING_TOKEN")) return {std::string("Authorization: Bearer ") + t};
  const char* u = std::getenv("MLFLOW_TRACKING_USERNAME");
  const char* p = std::getenv("MLFLOW_TRACKING_PASSWORD");
  if (u && p) return {"Authorization: Basic " + base64(std::string(u) + ":" + p)};
  return {};
}

}  // namespace

MlflowClient::MlflowClient(std::string base_uri) : base_(std::move(base_uri)), headers_(auth_headers()) {
  while (!base_.empty() && base_.back() == '/') base_.pop_back();
}

HttpResponse MlflowClient::send(const std::string& method, const std::string& path, const std::string* body,
                                const std::string& type) {
  HttpResponse r;
  double wait = 0.1;
  const double timeout = body && body->size() > (1 << 20) ? 600 : 10;  // large artifacts take longer
  for (int attempt = 0; attempt < 6; ++attempt) {
    r = http_request(method, base_ + path, body, headers_, timeout, type);
    bool retry = r.status == 0 || r.status == 429 || r.status >= 500;
    if (!retry) break;
    std::this_thread::sleep_for(std::chrono::duration<double>(wait));  // backoff before retrying
    wait *= 2;
  }
  return r;
}

HttpResponse MlflowClient::put_bytes(const std::string& path, const std::string& bytes) {
  return send("PUT", path, &bytes, "application/octet-stream");
}

HttpResponse MlflowClient::call(const std::string& method, const std::string& path, const nlohmann::json* body,
                                bool tolerant) {
  std::string text = body ? body->dump() : std::string();
  HttpResponse r = send(method, path, body ? &text : nullptr, "application/json");
  if (r.status != 200 && !tolerant) {
    throw RuntimeError("mlflow: " + method + " " + base_ + path + " failed: " +
                       (r.status ? "HTTP " + std::to_string(r.status) + " " + r.body.substr(0, 200) : r.error));
  }
  return r;
}

namespace {
nlohmann::json parse_answer(const std::string& what, const HttpResponse& r) {
  if (r.body.empty()) return nlohmann::json::object();
  auto j = nlohmann::json::parse(r.body, nullptr, false);
  if (j.is_discarded()) throw RuntimeError("mlflow: " + what + ": the answer is not JSON: " + r.body.substr(0, 200));
  return j;
}
}  // namespace

nlohmann::json MlflowClient::get(const std::string& path) { return parse_answer(path, call("GET", path, nullptr, false)); }
nlohmann::json MlflowClient::post(const std::string& path, const nlohmann::json& body) {
  return parse_answer(path, call("POST", path, &body, false));
}
nlohmann::json MlflowClient::del(const std::string& path, const nlohmann::json& body) {
  return parse_answer(path, call("DELETE", path, &body, false));
}

}  // namespace itwin::track
