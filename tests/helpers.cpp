#include "helpers.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <thread>

namespace fs = std::filesystem;

namespace itwin::test {

TempDir::TempDir() {
  std::string tmpl = (fs::temp_directory_path() / "itwin-test-XXXXXX").string();
  if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

std::string TempDir::write(const std::string& name, const std::string& text) const {
  fs::path p = fs::path(path_) / name;
  fs::create_directories(p.parent_path());
  std::ofstream(p) << text;
  return p.string();
}

ProcResult run_shell(const std::string& cmd, int timeout_s) {
  std::string full = "timeout -k 5 " + std::to_string(timeout_s) + " bash -c '" + [&] {
    std::string q;
    for (char c : cmd) q += (c == '\'') ? std::string("'\\''") : std::string(1, c);
    return q;
  }() + "' 2>&1";
  ProcResult r;
  FILE* p = popen(full.c_str(), "r");
  if (!p) throw std::runtime_error("popen failed");
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
  int status = pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

Background start_background(const std::vector<std::string>& argv, const std::string& log,
                            const std::vector<std::pair<std::string, std::string>>& env) {
  std::fflush(stdout);
  std::fflush(stderr);
  pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    if (!freopen(log.c_str(), "w", stdout) || !freopen(log.c_str(), "a", stderr)) _exit(126);
    for (const auto& [k, v] : env) setenv(k.c_str(), v.c_str(), 1);
    std::vector<char*> a;
    for (const auto& s : argv) a.push_back(const_cast<char*>(s.c_str()));
    a.push_back(nullptr);
    execvp(a[0], a.data());
    _exit(127);
  }
  return {pid, log};
}

int Background::wait(double timeout_s) {
  int status = 0;
  bool done = wait_until([&] { return waitpid(pid, &status, WNOHANG) == pid; }, timeout_s);
  if (!done) {
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    return -1;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

bool Background::kill_when_exists(const std::string& path, double timeout_s) {
  int status = 0;
  bool exited = false;
  const bool seen = wait_until(
      [&] {
        exited = waitpid(pid, &status, WNOHANG) == pid;
        return exited || std::filesystem::exists(path);
      },
      timeout_s);
  if (exited) return false;
  kill(pid, SIGKILL);
  waitpid(pid, &status, 0);
  return seen && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
}

std::string Background::output() const {
  std::ifstream in(log);
  return std::string((std::istreambuf_iterator<char>(in)), {});
}

bool wait_until(const std::function<bool()>& pred, double timeout_s) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(
        std::chrono::milliseconds(10));  // polling; the caller's condition is the readiness check
  }
  return true;
}

std::string itwin_bin() {
  const char* b = std::getenv("ITWIN_BIN");
  return b ? b : "itwin";
}

std::string source_root() {
  const char* s = std::getenv("ITWIN_SOURCE_ROOT");
  return s ? s : ".";
}

std::string pytorch_helper(const std::string& args) {
  return "/usr/bin/python3 " + source_root() + "/tests/train/pytorch_helper.py " + args;
}

}  // namespace itwin::test
