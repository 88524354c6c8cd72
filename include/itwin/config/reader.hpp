#pragma once
/// Typed reading of one map of the config tree. Each getter checks the type
/// and range and throws ConfigError naming file:line:col and the key; each
/// key read is copied, with its effective value (the default when absent),
/// into a "resolved" tree, so `itwin validate --resolved` shows exactly what
/// will run. `finish()` rejects the keys nobody read, with "did you mean".

#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "itwin/config/catalog.hpp"
#include "itwin/config/node.hpp"

namespace itwin::config {

class Reader {
 public:
  /// `what` names the section in messages, e.g. "step 'train'".
  Reader(const Node& node, std::string what, Node* resolved);

  const Mark& mark() const { return node_->mark; }
  /// The map being read (for checks that need marks of its entries).
  const Node& node() const { return *node_; }
  const std::string& what() const { return what_; }
  bool has(const std::string& key) const { return node_->find(key) != nullptr; }

  std::string get_string(const std::string& key, const std::string& def);
  std::string require_string(const std::string& key);
  /// One of `choices`; the default must be one of them.
  std::string get_choice(const std::string& key, const std::string& def,
                         const std::vector<std::string>& choices);
  /// A name from catalog `c`, as its typed value; `def` when the key is absent.
  template <class E>
  E get_enum(const std::string& key, const Catalog<E>& c, E def) {
    return *c.find(get_choice(key, c.name(def), c.names()));
  }
  /// The same for a required key.
  template <class E>
  E get_enum(const std::string& key, const Catalog<E>& c) {
    return *c.find(get_choice(key, "", c.names()));
  }
  int64_t get_int(const std::string& key, int64_t def,
                  int64_t lo = std::numeric_limits<int64_t>::min(),
                  int64_t hi = std::numeric_limits<int64_t>::max());
  double get_double(const std::string& key, double def,
                    double lo = -std::numeric_limits<double>::max(),
                    double hi = std::numeric_limits<double>::max());
  bool get_bool(const std::string& key, bool def);
  std::vector<int64_t> get_int_list(const std::string& key, const std::vector<int64_t>& def,
                                    int64_t lo = std::numeric_limits<int64_t>::min(),
                                    int64_t hi = std::numeric_limits<int64_t>::max());
  std::vector<double> get_double_list(const std::string& key, const std::vector<double>& def);
  std::vector<std::string> get_string_list(const std::string& key,
                                           const std::vector<std::string>& def);
  std::map<std::string, std::string> get_string_map(const std::string& key);

  /// A nested map (absent -> empty map, so its getters give defaults).
  Reader sub(const std::string& key);
  /// Like sub(), but a plain scalar `key: x` is read as `key: {name: x}`, so
  /// users can write `optimizer: sgd` or `optimizer: {name: sgd, lr: 0.1}`.
  Reader sub_or_name(const std::string& key);
  /// True when `key` holds a map (so callers can accept `loss: mse` or
  /// `loss: {name: huber, delta: 2}`).
  bool is_map(const std::string& key) const;

  /// The raw node (marks the key as read); nullptr when absent.
  const Node* raw(const std::string& key);

  /// Throws for every key that no getter asked for.
  void finish();

  /// The mark of `key` if present, else of the map itself.
  Mark mark_of(const std::string& key) const;
  [[noreturn]] void fail(const std::string& key, const std::string& msg) const;

 private:
  const Node* take(const std::string& key);
  void record(const std::string& key, Node value);

  const Node* node_;
  std::shared_ptr<Node> owned_;  ///< an empty map standing in for an absent one
  std::string what_;
  Node* resolved_;
  std::vector<std::string> read_;
};

/// Shortest decimal text that reads back as the same double.
std::string format_double(double v);

}  // namespace itwin::config
