#pragma once
/// Small string helpers shared by every area.

#include <optional>
#include <string>
#include <vector>

namespace itwin {

std::vector<std::string> split(const std::string& s, char sep);
std::string trim(const std::string& s);
std::string join(const std::vector<std::string>& parts, const std::string& sep);
bool starts_with(const std::string& s, const std::string& prefix);
bool ends_with(const std::string& s, const std::string& suffix);

/// Levenshtein distance (insertions, deletions, substitutions cost 1).
size_t edit_distance(const std::string& a, const std::string& b);

/// The closest word to `word` among `candidates`, if one is close enough to
/// be a plausible typo (distance <= max(1, len/3)); used for "did you mean".
std::optional<std::string> closest_match(const std::string& word,
                                         const std::vector<std::string>& candidates);

/// " (did you mean 'x'?)" or "" when nothing is close.
std::string did_you_mean(const std::string& word, const std::vector<std::string>& candidates);

/// Human-readable durations and sizes for progress lines: "1m05s", "12.3 MiB".
std::string format_duration(double seconds);
std::string format_bytes(double bytes);

/// A Unix time as local "YYYY-MM-DD HH:MM[:SS]" for tables ("-" for 0).
std::string format_local_time(double unix_seconds, bool with_seconds = false);

/// A single-quoted YAML scalar ('it''s'), safe for any text on one line.
std::string yaml_quote(const std::string& s);

}  // namespace itwin
