#pragma once
// A small HTTP client over libcurl for the MLflow REST logger (internal).

#include <string>
#include <vector>

namespace itwin::track {

struct HttpResponse {
  long status = 0;  ///< 0: no response (connection failed, timeout)
  std::string body;
  std::string error;  ///< libcurl's message when status is 0
};

/// `method` (GET, POST, PUT, DELETE) with a body of `content_type` (`body`
/// may be null); `headers` are "Name: value" lines. Never logs the headers
/// (they may hold credentials).
HttpResponse http_request(const std::string& method, const std::string& url,
                          const std::string* body, const std::vector<std::string>& headers,
                          double timeout_s, const std::string& content_type = "application/json");

/// Percent-encodes a query value.
std::string url_encode(const std::string& s);

}  // namespace itwin::track
