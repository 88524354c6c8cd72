#include "mlflow_client.hpp"

#include <chrono>
#include <cstdlib>
#include <thread>
#include <tuple>

#include "itwin/util/error.hpp"
#include "itwin/util/redact.hpp"

namespace itwin::track {
namespace {

// MLflow's order: a token, else a user name and password from the
// environment, else the user info of the URI (http://user:pass@host).
std::vector<std::string> auth_headers(const std::string& uri) {
  if (const char* t = std::getenv("MLFLOW_TRACKING_TOKEN")) {
    add_secret(t);
    return {std::string("Authorization: Bearer ") + t};
  }
  std::string u, p;
  if (const char* eu = std::getenv("MLFLOW_TRACKING_USERNAME"),
      *ep = std::getenv("MLFLOW_TRACKING_PASSWORD");
      eu && ep) {
    u = eu;
    p = ep;
  } else {
    std::tie(u, p) = uri_credentials(uri);
  }
  if (u.empty() && p.empty()) return {};
  add_secret(p);
  add_secret(base64(u + ":" + p));
  return {"Authorization: Basic " + base64(u + ":" + p)};
}

}  // namespace

MlflowClient::MlflowClient(const std::string& uri)
    : base_(strip_credentials(uri)), headers_(auth_headers(uri)) {
  while (!base_.empty() && base_.back() == '/') base_.pop_back();
}

HttpResponse MlflowClient::send(const std::string& method, const std::string& path,
                                const std::string* body, const std::string& type) {
  HttpResponse r;
  double wait = 0.1;
  // Artifacts (model files up and down) may be large: they get longer.
  const bool artifact = path.find("/mlflow-artifacts/artifacts") != std::string::npos;
  const double timeout = artifact || (body && body->size() > (1 << 20)) ? 600 : 10;
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

HttpResponse MlflowClient::call(const std::string& method, const std::string& path,
                                const nlohmann::json* body, bool tolerant) {
  std::string text = body ? body->dump() : std::string();
  HttpResponse r = send(method, path, body ? &text : nullptr, "application/json");
  if (r.status != 200 && !tolerant) {
    throw RuntimeError("mlflow: " + method + " " + base_ + path + " failed: " + describe(r));
  }
  return r;
}

namespace {
nlohmann::json parse_answer(const std::string& what, const HttpResponse& r) {
  if (r.body.empty()) return nlohmann::json::object();
  auto j = nlohmann::json::parse(r.body, nullptr, false);
  if (j.is_discarded())
    throw RuntimeError("mlflow: " + what +
                       ": the answer is not JSON: " + redact(r.body.substr(0, 200)));
  return j;
}
}  // namespace

std::string MlflowClient::describe(const HttpResponse& r) {
  // A server's answer may echo the request, credentials included.
  return redact(r.status ? "HTTP " + std::to_string(r.status) + " " + r.body.substr(0, 300)
                         : r.error);
}

nlohmann::json MlflowClient::get(const std::string& path) {
  return parse_answer(path, call("GET", path, nullptr, false));
}
nlohmann::json MlflowClient::post(const std::string& path, const nlohmann::json& body) {
  return parse_answer(path, call("POST", path, &body, false));
}
nlohmann::json MlflowClient::del(const std::string& path, const nlohmann::json& body) {
  return parse_answer(path, call("DELETE", path, &body, false));
}

}  // namespace itwin::track
