// Config tree -> YAML text.
#include <yaml-cpp/yaml.h>

#include "itwin/config/load.hpp"

namespace itwin::config {
namespace {

std::string escape_refs(const std::string& s) {
  if (s.find("${") == std::string::npos) return s;
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '$' && i + 1 < s.size() && s[i + 1] == '{') out += '$';
    out += s[i];
  }
  return out;
}

// raw: the tree was never interpolated, so its `${...}` are references to keep as they are.
void emit(YAML::Emitter& em, const Node& n, bool raw) {
  switch (n.kind) {
    case Node::Kind::Null:
      em << YAML::Null;
      break;
    case Node::Kind::Scalar: {
      // A secret's value never leaves the process: write its unresolved text
      // (already in reference syntax). Other text that holds `${` is escaped,
      // so loading the output again gives the same value, not a new lookup.
      const std::string text = n.is_secret() ? n.secret_text
                               : raw         ? n.scalar
                                             : escape_refs(n.scalar);
      if (n.quoted) {
        em << YAML::DoubleQuoted << text;
      } else {
        em << text;
      }
      break;
    }
    case Node::Kind::Seq: {
      bool flat = !n.seq.empty();
      for (const auto& c : n.seq) flat = flat && c.is_scalar() && c.scalar.size() < 24;
      if (flat) em << YAML::Flow;
      em << YAML::BeginSeq;
      for (const auto& c : n.seq) emit(em, c, raw);
      em << YAML::EndSeq;
      break;
    }
    case Node::Kind::Map:
      em << YAML::BeginMap;
      for (const auto& e : n.map) {
        em << YAML::Key << e.key << YAML::Value;
        emit(em, *e.value, raw);
      }
      em << YAML::EndMap;
      break;
  }
}

std::string emit_root(const Node& root, bool raw) {
  YAML::Emitter em;
  em.SetIndent(2);
  emit(em, root, raw);
  std::string s = em.c_str();
  if (s.empty() || s.back() != '\n') s += '\n';
  return s;
}

}  // namespace

std::string to_yaml(const Node& root) { return emit_root(root, false); }

std::string to_yaml_unresolved(const Node& root) { return emit_root(root, true); }

}  // namespace itwin::config
