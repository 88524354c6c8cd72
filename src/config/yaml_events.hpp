#pragma once
// Internal to src/config: one YAML document -> the located config tree,
// built from yaml-cpp's parser events instead of its node graph. yaml-cpp's
// graph shares aliased nodes and expands them on every walk, so a recursive
// alias overflows the stack and nine levels of nine aliases take minutes and
// gigabytes; building from events sees each alias once, refuses one that
// points into its own unfinished anchor, and charges the size of each copy
// to a Budget before making it.

#include <functional>
#include <memory>
#include <string>

#include "itwin/config/checks.hpp"
#include "itwin/config/node.hpp"

namespace itwin::config {

/// Loads `!include PATH` met at `from` (relative paths are the caller's business).
using IncludeFn = std::function<Node(const std::string& path, const Mark& from)>;

/// The tree of `text`, a single YAML document (a null node when it is empty).
/// Throws ConfigError for a second document, a recursive alias, unsupported
/// tags, text that fails check_text(), nesting deeper than kMaxDepth, lists
/// or maps longer than kMaxItems, duplicate keys and non-scalar keys, and
/// when `budget` runs out; YAML::Exception for syntax errors.
Node build_yaml(const std::string& text, const std::shared_ptr<const std::string>& source,
                Budget& budget, const IncludeFn& include);

}  // namespace itwin::config
