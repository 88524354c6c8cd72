#pragma once
/// One typed catalog per plug-in point: the single list of a component's
/// names, each with a one-line summary and the typed value the rest of the
/// program switches on. The config validates names from it, `--help`,
/// `itwin components` and docs/config.md print it, and did-you-mean
/// suggests from it. A name never appears in a second list: implementations
/// `switch` over the enum without a `default:` (under -Werror a missing case
/// does not compile).

#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

namespace itwin::config {

template <class E>
struct CatalogEntry {
  E value;
  const char* name;
  const char* summary;
};

template <class E>
class Catalog {
 public:
  /// `key` is the config key the names are written under (for messages and
  /// docs), e.g. "loss" or "distributed.backend".
  Catalog(const char* key, std::initializer_list<CatalogEntry<E>> entries)
      : key_(key), entries_(entries) {}

  const char* key() const { return key_; }
  const std::vector<CatalogEntry<E>>& entries() const { return entries_; }

  std::optional<E> find(const std::string& name) const {
    for (const auto& e : entries_)
      if (name == e.name) return e.value;
    return std::nullopt;
  }
  /// The name of `v` (every value has exactly one entry; see the catalog test).
  const char* name(E v) const {
    for (const auto& e : entries_)
      if (e.value == v) return e.name;
    return "?";
  }
  const char* summary(E v) const {
    for (const auto& e : entries_)
      if (e.value == v) return e.summary;
    return "";
  }
  std::vector<std::string> names() const {
    std::vector<std::string> v;
    for (const auto& e : entries_) v.push_back(e.name);
    return v;
  }

 private:
  const char* key_;
  std::vector<CatalogEntry<E>> entries_;
};

/// A catalog seen without its type: for `itwin components`, docs and tests.
struct CatalogView {
  std::string key;                                         ///< config key, e.g. "loss"
  std::string title;                                       ///< "Losses"
  std::vector<std::pair<std::string, std::string>> items;  ///< name, summary
};

template <class E>
CatalogView view_of(const Catalog<E>& c, const std::string& title) {
  CatalogView v{c.key(), title, {}};
  for (const auto& e : c.entries()) v.items.emplace_back(e.name, e.summary);
  return v;
}

}  // namespace itwin::config
