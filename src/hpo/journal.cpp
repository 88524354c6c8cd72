#include "itwin/hpo/journal.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include "itwin/util/error.hpp"
#include "itwin/util/fs.hpp"

namespace itwin::hpo {
namespace {

double now_unix() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

Journal::Journal(std::string path) : path_(std::move(path)) {
  std::filesystem::create_directories(std::filesystem::path(path_).parent_path());
  if (std::filesystem::exists(path_)) {
    std::string text = read_file(path_);
    size_t keep = text.rfind('\n');
    keep = keep == std::string::npos ? 0 : keep + 1;
    if (keep != text.size() && ::truncate(path_.c_str(), static_cast<off_t>(keep)) != 0) {
      throw_errno("cannot repair the journal " + path_);
    }
  }
  fd_ = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) throw_errno("cannot open the journal " + path_);
}

Journal::~Journal() {
  if (fd_ >= 0) ::close(fd_);
}

nlohmann::json Journal::append(nlohmann::json event) {
  if (!event.contains("time")) event["time"] = now_unix();
  // One write of the whole line: O_APPEND keeps it in one piece.
  const std::string line = event.dump() + "\n";
  size_t done = 0;
  while (done < line.size()) {
    ssize_t n = ::write(fd_, line.data() + done, line.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno("cannot write the journal " + path_);
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd_) != 0) throw_errno("cannot fsync the journal " + path_);
  return event;
}

std::vector<nlohmann::json> Journal::read(const std::string& path) {
  std::vector<nlohmann::json> out;
  if (!std::filesystem::exists(path)) return out;
  const std::string text = read_file(path);
  size_t pos = 0;
  int line = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    ++line;
    if (end == std::string::npos) break;  // torn: written without its newline
    auto j = nlohmann::json::parse(text.substr(pos, end - pos), nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("event")) {
      throw RuntimeError(path + ":" + std::to_string(line) + ": not a journal event");
    }
    out.push_back(std::move(j));
    pos = end + 1;
  }
  return out;
}

}  // namespace itwin::hpo
