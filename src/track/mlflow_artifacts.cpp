#include "mlflow_artifacts.hpp"

#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "itwin/util/error.hpp"
#include "itwin/util/fs.hpp"
#include "itwin/util/strings.hpp"

namespace fs = std::filesystem;

namespace itwin::track {
namespace {

std::string join_path(const std::string& a, const std::string& b) {
  if (a.empty()) return b;
  if (b.empty()) return a;
  return a + "/" + b;
}

}  // namespace

RunArtifacts::RunArtifacts(MlflowClient& client, std::string root)
    : client_(client), root_(std::move(root)) {
  while (!root_.empty() && root_.back() == '/') root_.pop_back();
  const std::string proxy = "mlflow-artifacts:";
  if (starts_with(root_, proxy)) {
    std::string rest = root_.substr(proxy.size());
    if (starts_with(rest, "//")) {  // mlflow-artifacts://HOST:PORT/path: the host is this server
      auto slash = rest.find('/', 2);
      rest = slash == std::string::npos ? "" : rest.substr(slash);
    }
    while (!rest.empty() && rest[0] == '/') rest.erase(0, 1);
    proxied_ = true;
    proxy_path_ = rest;
  } else if (starts_with(root_, "file://") || starts_with(root_, "/")) {
    std::string dir = starts_with(root_, "file://") ? root_.substr(7) : root_;
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (!ec && ::access(dir.c_str(), W_OK) == 0) local_ = dir;  // shared with the server
  }
}

std::string RunArtifacts::url(const std::string& path) const {
  std::string out = "/api/2.0/mlflow-artifacts/artifacts/";
  for (const auto& part : split(join_path(proxy_path_, path), '/')) {
    if (part.empty()) continue;
    if (out.back() != '/') out += '/';
    out += url_encode(part);
  }
  return out;
}

void RunArtifacts::put(const std::string& path, const std::string& bytes) {
  if (!local_.empty()) {
    write_file_atomic(join_path(local_, path), bytes);
    return;
  }
  if (!proxied_) throw RuntimeError("mlflow: cannot write the artifacts at " + root_);
  auto r = client_.put_bytes(url(path), bytes);
  if (r.status != 200) {
    throw RuntimeError("mlflow: could not upload " + path + " to " + root_ + ": " +
                       MlflowClient::describe(r));
  }
}

std::optional<std::string> RunArtifacts::get(const std::string& path) {
  if (!local_.empty()) {
    std::string p = join_path(local_, path);
    if (!fs::is_regular_file(p)) return std::nullopt;
    return read_file(p);
  }
  if (!proxied_) throw RuntimeError("mlflow: cannot read the artifacts at " + root_);
  auto r = client_.call("GET", url(path), nullptr, true);
  if (r.status == 0)
    throw RuntimeError("mlflow: could not download " + path + " from " + root_ + ": " + r.error);
  if (r.status != 200) return std::nullopt;
  return r.body;
}

std::vector<std::string> RunArtifacts::list(const std::string& path) {
  std::vector<std::string> out;
  if (!local_.empty()) {
    std::string p = join_path(local_, path);
    if (!fs::is_directory(p)) return out;
    for (const auto& e : fs::directory_iterator(p))
      if (e.is_regular_file()) out.push_back(e.path().filename().string());
    return out;
  }
  if (!proxied_) throw RuntimeError("mlflow: cannot list the artifacts at " + root_);
  auto j = client_.get("/api/2.0/mlflow-artifacts/artifacts?path=" +
                       url_encode(join_path(proxy_path_, path)));
  for (const auto& f : j.value("files", nlohmann::json::array())) {
    if (!f.value("is_dir", false)) out.push_back(f.value("path", ""));
  }
  return out;
}

void RunArtifacts::remove(const std::string& path) noexcept {
  try {
    if (!local_.empty()) {
      std::error_code ec;
      fs::remove_all(join_path(local_, path), ec);
    } else if (proxied_) {
      client_.call("DELETE", url(path), nullptr, true);
    }
  } catch (...) {
    // best effort: the caller is already reporting a failure
  }
}

}  // namespace itwin::track
