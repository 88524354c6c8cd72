#pragma once
/// The config tree: what a YAML document becomes after loading. Every node
/// remembers where it came from (file:line:col, or `--set #N`), so any error
/// found later, in interpolation or in the typed parse, can point at it.
/// Nothing outside src/config sees this type or yaml-cpp.

#include <memory>
#include <string>
#include <vector>

namespace itwin::config {

struct Mark {
  std::shared_ptr<const std::string> source;  ///< file path or "--set #N"
  int line = 0;                               ///< 1-based; 0 when unknown
  int col = 0;                                ///< 1-based; 0 when unknown

  /// "file:line:col" (or just "source" without a position).
  std::string str() const;
};

class Node;

struct Entry {
  std::string key;
  Mark key_mark;
  std::unique_ptr<Node> value;
};

class Node {
 public:
  enum class Kind { Null, Scalar, Map, Seq };

  Node() = default;
  explicit Node(Kind k, Mark m = {}) : kind(k), mark(std::move(m)) {}
  static Node scalar_of(std::string v, Mark m = {}, bool quoted = false);

  Node(const Node& o);
  Node& operator=(const Node& o);
  Node(Node&&) noexcept = default;
  Node& operator=(Node&&) noexcept = default;

  Kind kind = Kind::Null;
  Mark mark;
  std::string scalar;   ///< text of a scalar, exactly as written (after interpolation)
  bool quoted = false;  ///< the scalar was quoted: always a string
  /// Set when the scalar's value came from `${secret:NAME}`: its text with
  /// every other reference resolved and each secret written as
  /// `${secret:NAME}`. Output that people or files see (to_yaml, describe,
  /// flat parameters) uses this, never `scalar`.
  std::string secret_text;
  std::vector<Entry> map;
  std::vector<Node> seq;

  bool is_map() const { return kind == Kind::Map; }
  bool is_seq() const { return kind == Kind::Seq; }
  bool is_scalar() const { return kind == Kind::Scalar; }
  bool is_null() const { return kind == Kind::Null; }
  bool is_secret() const { return !secret_text.empty(); }

  /// Map lookup; nullptr when absent (or when this is not a map).
  const Node* find(const std::string& key) const;
  Node* find(const std::string& key);
  const Entry* find_entry(const std::string& key) const;
  /// Inserts or replaces `key` (keeps the original position when replacing).
  Node& set(const std::string& key, Node value, Mark key_mark = {});
  std::vector<std::string> keys() const;

  /// "a map", "a list", "'x'" or "null": for error messages (a secret shows
  /// its secret_text; control characters are escaped).
  std::string describe() const;
};

/// Recursively merges `over` into `base`: maps merge key by key, anything
/// else in `over` replaces what `base` had.
void merge_into(Node& base, const Node& over);

}  // namespace itwin::config
