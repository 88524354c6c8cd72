#pragma once
/// Read-modify-write of a shared file by several processes (concurrent
/// `itwin models alias` calls, two writers of one MLflow store): an exclusive
/// advisory lock on a lock file, held for the lifetime of the object.

#include <string>

namespace itwin {

class FileLock {
 public:
  /// Opens (creating it and its directory when missing) and locks `path`
  /// with flock(LOCK_EX), waiting for other holders; RuntimeError when the
  /// file cannot be opened or locked.
  explicit FileLock(const std::string& path);
  ~FileLock();
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace itwin
