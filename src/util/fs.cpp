#include "itwin/util/fs.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "itwin/util/error.hpp"

namespace fs = std::filesystem;

namespace itwin {

[[noreturn]] void throw_errno(const std::string& what) {
  throw RuntimeError(what + ": " + std::strerror(errno));
}

namespace {

void fsync_path(const std::string& path, int flags) {
  int fd = ::open(path.c_str(), flags);
  if (fd < 0) throw_errno("cannot open " + path);
  if (::fsync(fd) != 0 && errno != EINVAL) {
    ::close(fd);
    throw_errno("fsync " + path);
  }
  ::close(fd);
}

std::string parent_dir(const std::string& path) {
  auto p = fs::path(path).parent_path();
  return p.empty() ? "." : p.string();
}

}  // namespace

void commit_file_atomic(const std::string& tmp_path, const std::string& path) {
  fsync_path(tmp_path, O_RDONLY);
  if (::rename(tmp_path.c_str(), path.c_str()) != 0)
    throw_errno("rename " + tmp_path + " -> " + path);
  fsync_path(parent_dir(path), O_RDONLY | O_DIRECTORY);
}

void write_file_atomic(const std::string& path, const std::string& data) {
  std::error_code ec;
  fs::create_directories(parent_dir(path), ec);
  if (ec) throw RuntimeError("cannot create directory " + parent_dir(path) + ": " + ec.message());
  std::string tmp = path + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw_errno("cannot write " + tmp);
    out.write(data.data(), static_cast<std::streamsize>(data.size()));
    out.flush();
    if (!out) {
      std::remove(tmp.c_str());
      throw_errno("cannot write " + tmp);
    }
  }
  commit_file_atomic(tmp, path);
}

std::string read_file(const std::string& path) {
  // One buffer of the file's size, filled by read(2): a stream into a
  // stringstream grows and copies it several times (a data set's 30 MB of
  // gzip cost more page faults than its inflation). Files whose size stat
  // cannot tell (/proc, pipes) are read to their end in steps.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw RuntimeError("cannot read " + path + ": " + std::strerror(errno));
  struct stat st {};
  std::string s;
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) s.resize(static_cast<size_t>(st.st_size));
  size_t have = 0;
  auto fail = [&] {
    const int e = errno;
    ::close(fd);
    return RuntimeError("cannot read " + path + ": " + std::strerror(e));
  };
  for (;;) {
    ssize_t n;
    if (have < s.size()) {  // into the buffer stat sized
      n = ::read(fd, &s[have], s.size() - have);
      if (n > 0) have += static_cast<size_t>(n);
    } else {  // past it (or no size known): the end, or more appended
      char more[1 << 16];
      n = ::read(fd, more, sizeof more);
      if (n > 0) {
        s.append(more, static_cast<size_t>(n));
        have = s.size();
      }
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw fail();
    if (n == 0) break;
  }
  ::close(fd);
  s.resize(have);
  return s;
}

void append_line(const std::string& path, const std::string& line) {
  std::ofstream out(path, std::ios::app);
  if (!out) throw_errno("cannot append to " + path);
  out << line << '\n';
  out.flush();
}

}  // namespace itwin
