#pragma once
// A client of an MLflow tracking server's REST API (2.0), shared by the
// REST logger and the REST model registry (internal to src/track).
// Credentials come from the environment (MLFLOW_TRACKING_TOKEN, or
// MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD) or from the URI's
// user info (http://user:pass@host), and are never printed or stored: base()
// is the URI without them, and every server answer shown is redacted.

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "http.hpp"

namespace itwin::track {

class MlflowClient {
 public:
  explicit MlflowClient(const std::string& uri);
  /// The server's URI without credentials (what is printed, stored and compared).
  const std::string& base() const { return base_; }

  /// "HTTP 400 <answer>" or the connection error, credentials removed: the
  /// only form in which an answer may be shown.
  static std::string describe(const HttpResponse& r);

  /// One request, retried on connection errors, 429 and 5xx (6 tries, backoff
  /// from 0.1 s doubling). `tolerant`: return the last answer instead of
  /// throwing when it is not 200.
  HttpResponse call(const std::string& method, const std::string& path, const nlohmann::json* body,
                    bool tolerant);

  /// PUTs `bytes` to `path` (an artifact upload), with the same retries.
  HttpResponse put_bytes(const std::string& path, const std::string& bytes);

  /// GET / POST / DELETE that must succeed: the parsed answer, or a RuntimeError
  /// naming the request and the server's answer.
  nlohmann::json get(const std::string& path);
  nlohmann::json post(const std::string& path, const nlohmann::json& body);
  nlohmann::json del(const std::string& path, const nlohmann::json& body);

 private:
  HttpResponse send(const std::string& method, const std::string& path, const std::string* body,
                    const std::string& type);

  std::string base_;
  std::vector<std::string> headers_;
};

}  // namespace itwin::track
