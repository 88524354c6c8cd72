#pragma once
/// A study's journal: an append-only file of JSON lines, one per event
/// (a trial proposed, started, a result, a rung decision, an end, a
/// signal), each fsync'd before the study acts on it. The journal is the
/// study: replaying it rebuilds every trial and the scheduler's state.

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace itwin::hpo {

class Journal {
 public:
  /// Opens (creating) `path` for appending. A torn last line (the process
  /// died while writing it) is cut off first.
  explicit Journal(std::string path);
  ~Journal();
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;

  /// Appends `event` (adding "time", seconds since the Unix epoch, when it
  /// has none) as one line, and fsyncs. Returns the event as written.
  nlohmann::json append(nlohmann::json event);

  /// The events of `path` in order; a torn last line is ignored, any other
  /// unreadable line is an error naming path:line.
  static std::vector<nlohmann::json> read(const std::string& path);

 private:
  std::string path_;
  int fd_ = -1;
};

}  // namespace itwin::hpo
