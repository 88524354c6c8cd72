#pragma once
/// Bounds and text checks for config input that may be hostile: sizes,
/// expansion budgets, UTF-8, control characters, names that become paths.
/// Every check names the place (file:line:col) when it throws ConfigError.

#include <cstddef>
#include <optional>
#include <string>

#include "itwin/config/node.hpp"

namespace itwin::config {

/// Limits on one loaded config (all files, aliases, includes and `${...}`
/// expansion together). Real pipeline files are a few hundred nodes; these
/// only stop documents built to exhaust memory or time.
inline constexpr size_t kMaxFileBytes = 4u << 20;    ///< one YAML file (or --set text)
inline constexpr size_t kMaxNodes = 200000;          ///< nodes in the whole tree
inline constexpr size_t kMaxTotalBytes = 64u << 20;  ///< scalar text in the whole tree
inline constexpr size_t kMaxScalarBytes = 1u << 20;  ///< one value or key
inline constexpr size_t kMaxItems = 100000;          ///< items of one list or map
inline constexpr int kMaxDepth = 64;                 ///< nesting of lists and maps

/// What a tree costs: counted before an alias or reference is copied, so an
/// exponential document is refused before it is built.
struct Size {
  size_t nodes = 0;
  size_t bytes = 0;
};
Size size_of(const Node& n);
/// Deepest nesting of lists and maps under `n` (a scalar is 0).
int depth_of(const Node& n);

/// The running total of one load; add() throws once a limit is passed.
class Budget {
 public:
  /// `what` says how the growth happened ("the document", "interpolation").
  void add(const Size& s, const Mark& at, const std::string& what);
  const Size& used() const { return used_; }

 private:
  Size used_;
};

/// Offset of the first byte that is not part of valid UTF-8 (overlong forms,
/// surrogates and code points above U+10FFFF are invalid), or nullopt.
std::optional<size_t> invalid_utf8(const std::string& s);

/// The first character that may not appear in config text, as "U+001B", or
/// "" when there is none. Forbidden: C0 controls except tab and newline
/// (none at all in keys), DEL and the C1 controls U+0080..U+009F.
std::string forbidden_char(const std::string& s, bool key);

/// Throws `at: <what> ...` when `s` is not valid UTF-8, holds a forbidden
/// character or is longer than kMaxScalarBytes. `what` is "value" or "key".
void check_text(const std::string& s, const Mark& at, const std::string& what);

/// "" when `name` can be one component of a path (non-empty, not '.' or
/// '..', no '/', no control characters, at most 255 bytes); otherwise why not.
std::string path_component_problem(const std::string& name);

/// `text` with control characters written as \n, \t or \xHH, for messages
/// and comments that must stay on one line.
std::string printable(const std::string& text);

}  // namespace itwin::config
