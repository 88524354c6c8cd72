#pragma once
/// File helpers with one guarantee: a file written through them is either the
/// old content or the complete new content, never half of it.

#include <string>

namespace itwin {

/// Writes `data` to `path` atomically: temp file in the same directory,
/// fsync, rename, fsync of the directory. Creates parent directories.
void write_file_atomic(const std::string& path, const std::string& data);

/// Renames an already-written temp file into place atomically (fsync first).
void commit_file_atomic(const std::string& tmp_path, const std::string& path);

/// Reads a whole file; throws RuntimeError naming the path when it cannot.
std::string read_file(const std::string& path);

/// Appends one line (adds '\n') and flushes; for JSON-lines logs.
void append_line(const std::string& path, const std::string& line);

}  // namespace itwin
