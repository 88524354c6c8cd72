// `--set path.to.key=value` edits of the config tree.
#include <cstdlib>
#include <functional>

#include "itwin/config/checks.hpp"
#include "itwin/config/load.hpp"
#include "itwin/util/error.hpp"
#include "itwin/util/strings.hpp"

namespace itwin::config {
namespace {

Node* child_for(Node& cur, const std::string& seg, const Mark& m, bool create) {
  if (cur.is_null()) cur = Node(Node::Kind::Map, m);
  if (cur.is_map()) {
    if (Node* c = cur.find(seg)) return c;
    if (!create) return nullptr;
    return &cur.set(seg, Node(Node::Kind::Map, m), m);
  }
  if (cur.is_seq()) {
    char* end = nullptr;
    long i = std::strtol(seg.c_str(), &end, 10);
    if (!seg.empty() && *end == '\0') {
      if (i < 0 || static_cast<size_t>(i) >= cur.seq.size()) {
        throw ConfigError(m.str() + ": index " + seg + " is out of range (the list has " +
                          std::to_string(cur.seq.size()) + " items)");
      }
      return &cur.seq[static_cast<size_t>(i)];
    }
    std::vector<std::string> names;
    for (auto& item : cur.seq) {
      const Node* name = item.find("name");
      if (name && name->is_scalar()) {
        if (name->scalar == seg) return &item;
        names.push_back(name->scalar);
      }
    }
    throw ConfigError(m.str() + ": no item named '" + seg + "' in this list" +
                      did_you_mean(seg, names));
  }
  throw ConfigError(m.str() + ": cannot descend into " + cur.describe() + " with '" + seg + "'");
}

Node parse_value(const std::string& text, const Mark& m) {
  Node v = load_value(text, *m.source);
  std::function<void(Node&)> remark = [&](Node& n) {
    n.mark = m;
    for (auto& e : n.map) {
      e.key_mark = m;
      remark(*e.value);
    }
    for (auto& c : n.seq) remark(c);
  };
  remark(v);
  return v;
}

}  // namespace

void apply_override(Node& root, const std::string& spec, int index) {
  Mark m{std::make_shared<const std::string>("--set #" + std::to_string(index) + " '" + spec + "'"),
         0, 0};
  auto eq = spec.find('=');
  if (eq == std::string::npos || eq == 0) {
    throw ConfigError(m.str() + ": expected KEY.PATH=VALUE");
  }
  auto path = split(trim(spec.substr(0, eq)), '.');
  for (const auto& seg : path) {
    if (seg.empty()) throw ConfigError(m.str() + ": empty segment in key path");
    check_text(seg, m, "key");
  }
  if (path.size() > static_cast<size_t>(kMaxDepth)) {  // each segment may nest a new map
    throw ConfigError(m.str() + ": the key path is nested more than " + std::to_string(kMaxDepth) +
                      " levels deep");
  }
  Node value = parse_value(spec.substr(eq + 1), m);
  Node* cur = &root;
  for (size_t i = 0; i + 1 < path.size(); ++i) cur = child_for(*cur, path[i], m, true);
  const std::string& last = path.back();
  if (cur->is_seq()) {
    *child_for(*cur, last, m, false) = std::move(value);
  } else {
    if (cur->is_null()) *cur = Node(Node::Kind::Map, m);
    if (!cur->is_map())
      throw ConfigError(m.str() + ": cannot set '" + last + "' inside " + cur->describe());
    cur->set(last, std::move(value), m);
  }
}

}  // namespace itwin::config
