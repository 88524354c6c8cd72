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
Node load_string(const std::string& text, const std::string& name,
                 const std::string& base_dir = ".");

/// One YAML document of any kind (a map, a list, a scalar; empty text is
/// null), with the same checks and limits as a file; `name` is its source in
/// marks. For `--set` values.
Node load_value(const std::string& text, const std::string& name);

/// Applies `path.to.key=value` (value parsed as YAML flow, so `[1,2]` or
/// `{a: 1}` work). Path segments index maps by key, lists by number or, for
/// lists of maps, by their `name` field. `index` numbers the override in
/// error messages (`--set #2`).
void apply_override(Node& root, const std::string& spec, int index);

/// Replaces every `${ref}` in scalars: `${a.b}` looks up `vars.a.b`, then
/// `a.b` from the document root; `${env:NAME}` / `${env:NAME:-default}` read
/// the environment; `${secret:NAME}` reads environment variable NAME too, but
/// the scalar remembers its text with the secret unresolved
/// (Node::secret_text), so that to_yaml() never writes the value; `$${` is a
/// literal `${`. A scalar that is exactly one reference takes the referenced
/// node whole (maps and lists included). Each scalar is expanded once:
/// substituted text is never scanned again. Cycles (a node that would contain
/// itself), unknown references, results that fail check_text() and growth
/// past the limits of checks.hpp are errors.
void interpolate(Node& root);

/// Emits the tree as block-style YAML (for `validate --resolved` and run
/// snapshots). A scalar holding a secret is written as its secret_text, so
/// that loading the output again resolves the secret from that environment.
std::string to_yaml(const Node& root);

/// Emits a tree that was never interpolated (a file as loaded, overrides
/// applied): its `${...}` references are written as they are, so that loading
/// the output resolves them (a study's config snapshot and best.yaml).
std::string to_yaml_unresolved(const Node& root);

}  // namespace itwin::config
