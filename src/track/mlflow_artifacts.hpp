#pragma once
// The artifacts of one MLflow run on a tracking server (internal to
// src/track), used by the REST logger (the run's files at the end) and the
// REST registry (a version's files). Two artifact stores are reachable:
//   - the server's artifact proxy (`mlflow server --serve-artifacts`, MLflow
//     2's default): artifact URIs `mlflow-artifacts:/EXP/RUN/artifacts`,
//     files through /api/2.0/mlflow-artifacts/artifacts/...;
//   - a `file://` artifact root this machine shares with the server (a
//     cluster file system), written directly as MLflow's client does.
// Other stores (s3://, ...) are not: reachable() is false.

#include <optional>
#include <string>
#include <vector>

#include "mlflow_client.hpp"

namespace itwin::track {

class RunArtifacts {
 public:
  /// `root`: the run's artifact_uri (or any artifact URI below it).
  RunArtifacts(MlflowClient& client, std::string root);

  bool reachable() const { return proxied_ || !local_.empty(); }
  const std::string& root() const { return root_; }

  /// Writes `bytes` to PATH (relative to the root); RuntimeError when it cannot.
  void put(const std::string& path, const std::string& bytes);
  /// The bytes at PATH, or nothing when there is no such file.
  std::optional<std::string> get(const std::string& path);
  /// The file names directly in directory PATH ("" the root); empty when none.
  std::vector<std::string> list(const std::string& path);
  /// Removes PATH (a file or a directory) as far as it can; never throws.
  void remove(const std::string& path) noexcept;

 private:
  std::string url(const std::string& path) const;

  MlflowClient& client_;
  std::string root_;
  bool proxied_ = false;
  std::string proxy_path_;  ///< the root below the proxy's artifact destination
  std::string local_;       ///< the root as a local directory
};

}  // namespace itwin::track
