#include "itwin/config/reader.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "itwin/util/error.hpp"
#include "itwin/util/strings.hpp"

namespace itwin::config {
namespace {

std::string quote(const Node& n) { return n.describe(); }

// A value recorded in its normal form (an int, a number) keeps the secret
// text of the node it was read from, so the resolved tree never shows it.
Node normal(std::string text, const Node* from) {
  Node r = Node::scalar_of(std::move(text), from ? from->mark : Mark{});
  if (from) r.secret_text = from->secret_text;
  return r;
}

// A value for a message: the secret text instead of a secret.
std::string shown(const Node* n, const std::string& value) {
  return n && n->is_secret() ? n->secret_text : value;
}

bool parse_int(const std::string& s, int64_t* out) {
  if (s.empty()) return false;
  errno = 0;
  char* end = nullptr;
  long long v = std::strtoll(s.c_str(), &end, 10);
  if (*end != '\0' || errno == ERANGE) return false;
  *out = v;
  return true;
}

bool parse_double(const std::string& s, double* out) {
  if (s.empty()) return false;
  errno = 0;
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  if (*end != '\0' || errno == ERANGE || !std::isfinite(v)) return false;
  *out = v;
  return true;
}

bool parse_bool(const std::string& s, bool* out) {
  static const char* t[] = {"true", "True", "TRUE", "yes", "Yes", "on", "On"};
  static const char* f[] = {"false", "False", "FALSE", "no", "No", "off", "Off"};
  for (auto* x : t)
    if (s == x) return (*out = true), true;
  for (auto* x : f)
    if (s == x) return (*out = false), true;
  return false;
}

}  // namespace

std::string format_double(double v) {
  char buf[40];
  for (int prec = 6; prec <= 17; ++prec) {
    std::snprintf(buf, sizeof buf, "%.*g", prec, v);
    if (std::strtod(buf, nullptr) == v) break;
  }
  std::string s = buf;
  if (s.find_first_of(".eEn") == std::string::npos) s += ".0";
  return s;
}

Reader::Reader(const Node& node, std::string what, Node* resolved)
    : node_(&node), what_(std::move(what)), resolved_(resolved) {
  if (node.is_null()) {
    owned_ = std::make_shared<Node>(Node::Kind::Map, node.mark);
    node_ = owned_.get();
  }
  if (!node_->is_map()) {
    throw ConfigError(node.mark.str() + ": " + what_ + ": expected a map of keys, got " +
                      quote(node));
  }
  if (resolved_ && !resolved_->is_map()) *resolved_ = Node(Node::Kind::Map, node.mark);
}

Mark Reader::mark_of(const std::string& key) const {
  const Node* n = node_->find(key);
  return n ? n->mark : node_->mark;
}

void Reader::fail(const std::string& key, const std::string& msg) const {
  throw ConfigError(mark_of(key).str() + ": " + what_ + ": '" + key + "' " + msg);
}

const Node* Reader::take(const std::string& key) {
  if (std::find(read_.begin(), read_.end(), key) == read_.end()) read_.push_back(key);
  const Node* n = node_->find(key);
  return (n && n->is_null()) ? nullptr : n;
}

void Reader::record(const std::string& key, Node value) {
  if (resolved_) resolved_->set(key, std::move(value));
}

const Node* Reader::raw(const std::string& key) {
  const Node* n = take(key);
  if (n) record(key, *n);
  return n;
}

bool Reader::is_map(const std::string& key) const {
  const Node* n = node_->find(key);
  return n && n->is_map();
}

std::string Reader::get_string(const std::string& key, const std::string& def) {
  const Node* n = take(key);
  if (!n) {
    record(key, Node::scalar_of(def, {}, def.empty()));
    return def;
  }
  if (!n->is_scalar()) fail(key, "must be a string, got " + quote(*n));
  record(key, *n);
  return n->scalar;
}

std::string Reader::require_string(const std::string& key) {
  if (!take(key)) {
    throw ConfigError(node_->mark.str() + ": " + what_ + ": missing required key '" + key + "'");
  }
  return get_string(key, "");
}

std::string Reader::get_choice(const std::string& key, const std::string& def,
                               const std::vector<std::string>& choices) {
  if (def.empty() && !node_->find(key)) {
    throw ConfigError(node_->mark.str() + ": " + what_ + ": missing required key '" + key +
                      "' (one of " + join(choices, ", ") + ")");
  }
  std::string v = get_string(key, def);
  if (std::find(choices.begin(), choices.end(), v) == choices.end()) {
    fail(key,
         "must be one of " + join(choices, ", ") + "; got '" + shown(node_->find(key), v) + "'" +
             (node_->find(key) && node_->find(key)->is_secret() ? "" : did_you_mean(v, choices)));
  }
  return v;
}

int64_t Reader::get_int(const std::string& key, int64_t def, int64_t lo, int64_t hi) {
  const Node* n = take(key);
  int64_t v = def;
  if (n) {
    if (!n->is_scalar() || !parse_int(n->scalar, &v))
      fail(key, "must be an integer, got " + quote(*n));
    if (v < lo || v > hi) {
      std::string range = hi == std::numeric_limits<int64_t>::max()
                              ? ">= " + std::to_string(lo)
                              : "in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]";
      fail(key, "must be " + range + ", got " + shown(n, std::to_string(v)));
    }
  }
  record(key, normal(std::to_string(v), n));
  return v;
}

double Reader::get_double(const std::string& key, double def, double lo, double hi) {
  const Node* n = take(key);
  double v = def;
  if (n) {
    if (!n->is_scalar() || !parse_double(n->scalar, &v))
      fail(key, "must be a number, got " + quote(*n));
    if (v < lo || v > hi) {
      std::string range = hi == std::numeric_limits<double>::max()
                              ? ">= " + format_double(lo)
                              : "in [" + format_double(lo) + ", " + format_double(hi) + "]";
      fail(key, "must be " + range + ", got " + shown(n, n->scalar));
    }
  }
  record(key, normal(format_double(v), n));
  return v;
}

bool Reader::get_bool(const std::string& key, bool def) {
  const Node* n = take(key);
  bool v = def;
  if (n && (!n->is_scalar() || !parse_bool(n->scalar, &v))) {
    fail(key, "must be true or false, got " + quote(*n));
  }
  record(key, normal(v ? "true" : "false", n));
  return v;
}

namespace {
// A scalar where a list is expected is taken as a one-item list.
std::vector<const Node*> items_of(const Node* n) {
  std::vector<const Node*> out;
  if (n->is_seq()) {
    for (const auto& c : n->seq) out.push_back(&c);
  } else {
    out.push_back(n);
  }
  return out;
}
}  // namespace

std::vector<int64_t> Reader::get_int_list(const std::string& key, const std::vector<int64_t>& def,
                                          int64_t lo, int64_t hi) {
  const Node* n = take(key);
  std::vector<int64_t> out = def;
  std::vector<const Node*> from(def.size(), nullptr);
  if (n) {
    out.clear();
    from = items_of(n);
    for (const Node* c : from) {
      int64_t v;
      if (!c->is_scalar() || !parse_int(c->scalar, &v)) {
        throw ConfigError(c->mark.str() + ": " + what_ + ": '" + key +
                          "' must be a list of integers, got " + quote(*c));
      }
      if (v < lo || v > hi) {
        throw ConfigError(
            c->mark.str() + ": " + what_ + ": '" + key +
            "' items must be >= " + std::to_string(lo) +
            (hi == std::numeric_limits<int64_t>::max() ? "" : " and <= " + std::to_string(hi)) +
            ", got " + shown(c, std::to_string(v)));
      }
      out.push_back(v);
    }
  }
  Node r(Node::Kind::Seq);
  for (size_t i = 0; i < out.size(); ++i) r.seq.push_back(normal(std::to_string(out[i]), from[i]));
  record(key, r);
  return out;
}

std::vector<double> Reader::get_double_list(const std::string& key,
                                            const std::vector<double>& def) {
  const Node* n = take(key);
  std::vector<double> out = def;
  std::vector<const Node*> from(def.size(), nullptr);
  if (n) {
    out.clear();
    from = items_of(n);
    for (const Node* c : from) {
      double v;
      if (!c->is_scalar() || !parse_double(c->scalar, &v)) {
        throw ConfigError(c->mark.str() + ": " + what_ + ": '" + key +
                          "' must be a list of numbers, got " + quote(*c));
      }
      out.push_back(v);
    }
  }
  Node r(Node::Kind::Seq);
  for (size_t i = 0; i < out.size(); ++i) r.seq.push_back(normal(format_double(out[i]), from[i]));
  record(key, r);
  return out;
}

std::vector<std::string> Reader::get_string_list(const std::string& key,
                                                 const std::vector<std::string>& def) {
  const Node* n = take(key);
  std::vector<std::string> out = def;
  std::vector<const Node*> from(def.size(), nullptr);
  if (n) {
    out.clear();
    from = items_of(n);
    for (const Node* c : from) {
      if (!c->is_scalar()) {
        throw ConfigError(c->mark.str() + ": " + what_ + ": '" + key +
                          "' must be a list of strings, got " + quote(*c));
      }
      out.push_back(c->scalar);
    }
  }
  Node r(Node::Kind::Seq);
  for (size_t i = 0; i < out.size(); ++i) r.seq.push_back(normal(out[i], from[i]));
  record(key, r);
  return out;
}

std::map<std::string, std::string> Reader::get_string_map(const std::string& key) {
  const Node* n = take(key);
  std::map<std::string, std::string> out;
  Node r(Node::Kind::Map);
  if (n) {
    if (!n->is_map()) fail(key, "must be a map of names to strings, got " + quote(*n));
    for (const auto& e : n->map) {
      if (!e.value->is_scalar()) {
        throw ConfigError(e.value->mark.str() + ": " + what_ + ": '" + key + "." + e.key +
                          "' must be a string");
      }
      out[e.key] = e.value->scalar;
      r.set(e.key, *e.value);
    }
  }
  record(key, r);
  return out;
}

Reader Reader::sub(const std::string& key) {
  const Node* n = take(key);
  Node* out = nullptr;
  if (resolved_) out = &resolved_->set(key, Node(Node::Kind::Map, n ? n->mark : node_->mark));
  if (!n) return Reader(Node(Node::Kind::Null, node_->mark), what_ + "." + key, out);
  return Reader(*n, what_ + "." + key, out);
}

Reader Reader::sub_or_name(const std::string& key) {
  const Node* n = node_->find(key);
  if (!n || !n->is_scalar()) return sub(key);
  take(key);
  Node as_map(Node::Kind::Map, n->mark);
  as_map.set("name", *n, n->mark);
  Node* out = resolved_ ? &resolved_->set(key, Node(Node::Kind::Map, n->mark)) : nullptr;
  Reader r(Node(Node::Kind::Null, n->mark), what_ + "." + key, out);
  r.owned_ = std::make_shared<Node>(std::move(as_map));  // the reader owns the stand-in map
  r.node_ = r.owned_.get();
  return r;
}

void Reader::finish() {
  for (const auto& e : node_->map) {
    if (std::find(read_.begin(), read_.end(), e.key) != read_.end()) continue;
    throw ConfigError(e.key_mark.str() + ": unknown key '" + e.key + "' in " + what_ +
                      did_you_mean(e.key, read_) +
                      (read_.empty() ? "" : "; expected one of: " + join(read_, ", ")));
  }
}

}  // namespace itwin::config
