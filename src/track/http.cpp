#include "http.hpp"

#include "itwin_build.h"

#if ITWIN_HAVE_CURL
#include <curl/curl.h>
#endif

#include <mutex>

namespace itwin::track {
#if ITWIN_HAVE_CURL
namespace {

size_t collect(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

}  // namespace
#endif

std::string url_encode(const std::string& s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

#if ITWIN_HAVE_CURL
HttpResponse http_request(const std::string& method, const std::string& url,
                          const std::string* body, const std::vector<std::string>& headers,
                          double timeout_s, const std::string& content_type) {
  static std::once_flag init;
  std::call_once(init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  HttpResponse r;
  CURL* c = curl_easy_init();
  if (!c) {
    r.error = "curl_easy_init failed";
    return r;
  }
  curl_slist* h = curl_slist_append(nullptr, ("Content-Type: " + content_type).c_str());
  for (const auto& line : headers) h = curl_slist_append(h, line.c_str());
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout_s * 1000));
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(timeout_s * 1000));
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &r.body);
  if (method != "GET" && method != "POST")
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method.c_str());
  if (body) {
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body->c_str());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, static_cast<long>(body->size()));
  }
  CURLcode rc = curl_easy_perform(c);
  if (rc == CURLE_OK) {
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
  } else {
    r.error = curl_easy_strerror(rc);
  }
  curl_slist_free_all(h);
  curl_easy_cleanup(c);
  return r;
}
#else
// Built without libcurl (meson -Dcurl=disabled): every request fails, and the
// MLflow server logger reports it as an unreachable server would be.
HttpResponse http_request(const std::string&, const std::string&, const std::string*,
                          const std::vector<std::string>&, double, const std::string&) {
  HttpResponse r;
  r.error =
      "this itwin was built without libcurl, so it reaches no server"
      " (rebuild with libcurl4-openssl-dev installed, or log to an MLflow file store)";
  return r;
}
#endif

}  // namespace itwin::track
