#include "itwin/util/redact.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <regex>
#include <set>
#include <vector>

namespace itwin {
namespace {

std::mutex g_mutex;
std::set<std::string>& secrets() {
  static std::set<std::string> s;
  return s;
}

void replace_all(std::string& text, const std::string& what) {
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 3)) {
    text.replace(at, what.size(), "***");
  }
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string percent_decode(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 && hex_value(s[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

// scheme://USERINFO@ : user info is what lies between "://" and "@" without
// a '/', '?', '#', blank or quote (which would end the authority).
const std::regex& userinfo_re() {
  static const std::regex re(R"(([A-Za-z][A-Za-z0-9+.-]*://)([^/?#@\s'"]+)@)");
  return re;
}

}  // namespace

std::string base64(const std::string& in) {
  static const char* b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (size_t i = 0; i < in.size(); i += 3) {
    uint32_t n = static_cast<uint32_t>(static_cast<unsigned char>(in[i])) << 16;
    if (i + 1 < in.size()) n |= static_cast<uint32_t>(static_cast<unsigned char>(in[i + 1])) << 8;
    if (i + 2 < in.size()) n |= static_cast<unsigned char>(in[i + 2]);
    out += b64[(n >> 18) & 63];
    out += b64[(n >> 12) & 63];
    out += i + 1 < in.size() ? b64[(n >> 6) & 63] : '=';
    out += i + 2 < in.size() ? b64[n & 63] : '=';
  }
  return out;
}

void add_secret(const std::string& secret) {
  if (secret.size() < 4) return;
  std::lock_guard<std::mutex> lock(g_mutex);
  secrets().insert(secret);
}

std::string redact(const std::string& text) {
  std::string out = text;
  // 1. Known secrets, wherever they are (longest first: one may contain another).
  std::set<std::string> known;
  {
    std::lock_guard<std::mutex> lock(g_mutex);
    known = secrets();
  }
  for (const char* var : {"MLFLOW_TRACKING_TOKEN", "MLFLOW_TRACKING_PASSWORD"}) {
    const char* v = std::getenv(var);
    if (v && std::string(v).size() >= 4) known.insert(v);
  }
  const char* user = std::getenv("MLFLOW_TRACKING_USERNAME");
  const char* pass = std::getenv("MLFLOW_TRACKING_PASSWORD");
  if (user && pass) known.insert(base64(std::string(user) + ":" + pass));
  std::vector<std::string> order(known.begin(), known.end());
  std::sort(order.begin(), order.end(),
            [](const auto& a, const auto& b) { return a.size() > b.size(); });
  for (const auto& s : order) replace_all(out, s);
  // 2. Credentials in URIs: keep the user name, never the password.
  std::string result;
  auto begin = std::sregex_iterator(out.begin(), out.end(), userinfo_re());
  size_t last = 0;
  for (auto it = begin; it != std::sregex_iterator(); ++it) {
    const std::smatch& m = *it;
    result += out.substr(last, static_cast<size_t>(m.position(0)) - last);
    std::string info = m[2];
    auto colon = info.find(':');
    result +=
        m[1].str() + (colon == std::string::npos ? "***" : info.substr(0, colon) + ":***") + "@";
    last = static_cast<size_t>(m.position(0) + m.length(0));
  }
  result += out.substr(last);
  // 3. Authorization headers and their schemes, as a server may echo them.
  static const std::regex header(R"((authorization["']?\s*[:=]\s*["']?)[^"'\r\n,}]+)",
                                 std::regex::icase);
  static const std::regex scheme(R"(\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+)", std::regex::icase);
  result = std::regex_replace(result, header, "$1***");
  result = std::regex_replace(result, scheme, "$1 ***");
  return result;
}

std::string strip_credentials(const std::string& uri) {
  std::smatch m;
  if (!std::regex_search(uri, m, userinfo_re()) || m.position(0) != 0) return uri;
  return m[1].str() + uri.substr(static_cast<size_t>(m.length(0)));
}

std::pair<std::string, std::string> uri_credentials(const std::string& uri) {
  std::smatch m;
  if (!std::regex_search(uri, m, userinfo_re()) || m.position(0) != 0) return {};
  std::string info = m[2];
  auto colon = info.find(':');
  if (colon == std::string::npos) return {percent_decode(info), ""};
  return {percent_decode(info.substr(0, colon)), percent_decode(info.substr(colon + 1))};
}

}  // namespace itwin
