#include "itwin/config/node.hpp"

#include "itwin/config/checks.hpp"

namespace itwin::config {

std::string Mark::str() const {
  std::string s = source ? *source : "<input>";
  if (line > 0) s += ":" + std::to_string(line) + ":" + std::to_string(col);
  return s;
}

Node Node::scalar_of(std::string v, Mark m, bool quoted) {
  Node n(Kind::Scalar, std::move(m));
  n.scalar = std::move(v);
  n.quoted = quoted;
  return n;
}

Node::Node(const Node& o)
    : kind(o.kind),
      mark(o.mark),
      scalar(o.scalar),
      quoted(o.quoted),
      secret_text(o.secret_text),
      seq(o.seq) {
  map.reserve(o.map.size());
  for (const auto& e : o.map) map.push_back({e.key, e.key_mark, std::make_unique<Node>(*e.value)});
}

Node& Node::operator=(const Node& o) {
  if (this != &o) {
    Node tmp(o);
    *this = std::move(tmp);
  }
  return *this;
}

const Entry* Node::find_entry(const std::string& key) const {
  if (kind != Kind::Map) return nullptr;
  for (const auto& e : map)
    if (e.key == key) return &e;
  return nullptr;
}

const Node* Node::find(const std::string& key) const {
  const Entry* e = find_entry(key);
  return e ? e->value.get() : nullptr;
}

Node* Node::find(const std::string& key) {
  return const_cast<Node*>(static_cast<const Node*>(this)->find(key));
}

Node& Node::set(const std::string& key, Node value, Mark key_mark) {
  if (kind != Kind::Map) {
    kind = Kind::Map;
    map.clear();
  }
  for (auto& e : map) {
    if (e.key == key) {
      *e.value = std::move(value);
      return *e.value;
    }
  }
  map.push_back(
      {key, key_mark.source ? key_mark : value.mark, std::make_unique<Node>(std::move(value))});
  return *map.back().value;
}

std::vector<std::string> Node::keys() const {
  std::vector<std::string> out;
  for (const auto& e : map) out.push_back(e.key);
  return out;
}

std::string Node::describe() const {
  switch (kind) {
    case Kind::Null:
      return "null";
    case Kind::Map:
      return "a map";
    case Kind::Seq:
      return "a list";
    case Kind::Scalar:
      return "'" + printable(is_secret() ? secret_text : scalar) + "'";
  }
  return "?";
}

void merge_into(Node& base, const Node& over) {
  if (base.is_map() && over.is_map()) {
    for (const auto& e : over.map) {
      Node* b = base.find(e.key);
      if (b) {
        merge_into(*b, *e.value);
      } else {
        base.set(e.key, *e.value, e.key_mark);
      }
    }
    return;
  }
  base = over;
}

}  // namespace itwin::config
