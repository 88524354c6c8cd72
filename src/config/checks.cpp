// Bounds and text checks for hostile config input.
#include "itwin/config/checks.hpp"

#include <algorithm>
#include <cstdio>

#include "itwin/util/error.hpp"

namespace itwin::config {

Size size_of(const Node& n) {
  Size s{1, n.scalar.size()};
  for (const auto& e : n.map) {
    Size c = size_of(*e.value);
    s.nodes += c.nodes;
    s.bytes += c.bytes + e.key.size();
  }
  for (const auto& c : n.seq) {
    Size cs = size_of(c);
    s.nodes += cs.nodes;
    s.bytes += cs.bytes;
  }
  return s;
}

int depth_of(const Node& n) {
  int d = 0;
  for (const auto& e : n.map) d = std::max(d, 1 + depth_of(*e.value));
  for (const auto& c : n.seq) d = std::max(d, 1 + depth_of(c));
  if (d == 0 && (n.is_map() || n.is_seq())) d = 1;
  return d;
}

void Budget::add(const Size& s, const Mark& at, const std::string& what) {
  used_.nodes += s.nodes;
  used_.bytes += s.bytes;
  if (used_.nodes > kMaxNodes) {
    throw ConfigError(at.str() + ": " + what + " expands to more than " +
                      std::to_string(kMaxNodes) +
                      " nodes (aliases, includes or references repeat too much)");
  }
  if (used_.bytes > kMaxTotalBytes) {
    throw ConfigError(at.str() + ": " + what + " expands to more than " +
                      std::to_string(kMaxTotalBytes) +
                      " bytes of text (aliases, includes or references repeat too much)");
  }
}

std::optional<size_t> invalid_utf8(const std::string& s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const size_t n = s.size();
  for (size_t i = 0; i < n;) {
    unsigned char c = p[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len;
    unsigned lo = 0x80, hi = 0xBF;  // allowed range of the second byte
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      if (c == 0xE0) lo = 0xA0;  // overlong
      if (c == 0xED) hi = 0x9F;  // UTF-16 surrogates
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      if (c == 0xF0) lo = 0x90;  // overlong
      if (c == 0xF4) hi = 0x8F;  // above U+10FFFF
    } else {
      return i;
    }
    if (i + len > n || p[i + 1] < lo || p[i + 1] > hi) return i;
    for (size_t k = 2; k < len; ++k) {
      if (p[i + k] < 0x80 || p[i + k] > 0xBF) return i;
    }
    i += len;
  }
  return std::nullopt;
}

namespace {
std::string code_point(unsigned v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "U+%04X", v);
  return buf;
}
}  // namespace

std::string forbidden_char(const std::string& s, bool key) {
  for (size_t i = 0; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if ((c < 0x20 && (key || (c != '\t' && c != '\n'))) || c == 0x7F) return code_point(c);
    if (c == 0xC2 && i + 1 < s.size()) {
      auto d = static_cast<unsigned char>(s[i + 1]);
      if (d >= 0x80 && d <= 0x9F) return code_point(d);  // C1 control (e.g. U+009B, a terminal CSI)
    }
  }
  return "";
}

void check_text(const std::string& s, const Mark& at, const std::string& what) {
  if (s.size() > kMaxScalarBytes) {
    throw ConfigError(at.str() + ": " + what + " is longer than " +
                      std::to_string(kMaxScalarBytes) + " bytes");
  }
  if (auto bad = invalid_utf8(s)) {
    throw ConfigError(at.str() + ": " + what + " is not valid UTF-8 (byte " +
                      std::to_string(*bad + 1) + ")");
  }
  std::string c = forbidden_char(s, what == "key");
  if (!c.empty()) {
    throw ConfigError(at.str() + ": " + what + " contains the control character " + c +
                      " (only tab and newline are allowed in values)");
  }
}

std::string path_component_problem(const std::string& name) {
  if (name.empty()) return "must not be empty";
  if (name == "." || name == "..") return "must not be '.' or '..'";
  if (name.find('/') != std::string::npos) return "must not contain '/'";
  if (name.size() > 255) return "must be at most 255 bytes";
  if (!forbidden_char(name, true).empty()) return "must not contain control characters";
  return "";
}

std::string printable(const std::string& text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    char ch = text[i];
    auto c = static_cast<unsigned char>(ch);
    auto next = i + 1 < text.size() ? static_cast<unsigned char>(text[i + 1]) : 0;
    if (c == 0xC2 && next >= 0x80 && next <= 0x9F) {  // a C1 control, e.g. U+009B (CSI)
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04X", next);
      out += buf;
      ++i;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7F) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02X", c);
      out += buf;
    } else {
      out += ch;
    }
  }
  return out;
}

}  // namespace itwin::config
