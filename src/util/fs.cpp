#include "itwin/util/fs.hpp"

#include <fcntl.h>
#include <unistd.h>

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
  std::ifstream in(path, std::ios::binary);
  if (!in) throw RuntimeError("cannot read " + path + ": " + std::strerror(errno));
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void append_line(const std::string& path, const std::string& line) {
  std::ofstream out(path, std::ios::app);
  if (!out) throw_errno("cannot append to " + path);
  out << line << '\n';
  out.flush();
}

}  // namespace itwin
