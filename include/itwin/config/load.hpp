#pragma once
/// Loading a pipeline YAML into the located config tree, and the two edits
/// made to it before the typed parse: `--set` overrides and `${...}`
/// interpolation. All errors are ConfigError with `file:line:col: `.

#include <string>
#include <vector>

#include "itwin/config/node.hpp"

namespace itwin::config {

/// Reads `path`, resolving `include:` (top-level list, merged underneath the
/// including file) and `!include path` tags (anywhere), relative to the
/// including file. Detects include cycles.
Node load_file(const std::string& path);

/// Same, for text in memory; `name` is used in error messages and relative
/// includes resolve against `base_dir`.
Node load_string(const std::string& text, const std::string& name, const std::string& base_dir = ".");

/// Applies `path.to.key=value` (value parsed as YAML flow, so `[1,2]` or
/// `{a: 1}` work). Path segments index maps by key, lists by number or, for
/// lists of maps, by their `name` field. `index` numbers the override in
/// error messages (`--set #2`).
void apply_override(Node& root, const std::string& spec, int index);

/// Replaces every `${ref}` in scalars: `${a.b}` looks up `vars.a.b`, then
/// `a.b` from the document root; `${env:NAME}` / `${env:NAME:-default}` read
/// the environment; `$${` is a literal `${`. A scalar that is exactly one
/// reference takes the referenced node whole (maps and lists included).
/// Cycles and unknown references are errors.
void interpolate(Node& root);

/// Emits the tree as block-style YAML (for `validate --resolved` and run
/// snapshots).
std::string to_yaml(const Node& root);

}  // namespace itwin::config
