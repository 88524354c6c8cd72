#pragma once
// The real MLflow 2.17 and TensorBoard 2.20 for the tracking tests: the
// oracles folder beside the source tree (../shared/oracles, see its
// README.md), run on Debian's python3. A real tracking server per test
// (mlflow_server.sh on a free loopback port), Python snippets run with
// MLflow's client and TensorBoard's readers, and the oracles' own checkers.
// Where the folder is absent (a user's machine) the tests that need it say
// so and end without checking: ORACLES_OR_SKIP().

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "../helpers.hpp"
#include "track_helpers.hpp"

namespace itwin::test {

/// $ITWIN_ORACLES, else $ITWIN_SOURCE_ROOT/../shared/oracles; "" when absent.
inline std::string oracles_dir() {
  namespace fs = std::filesystem;
  const char* env = std::getenv("ITWIN_ORACLES");
  fs::path p = env && *env ? fs::path(env) : fs::path(source_root()) / ".." / "shared" / "oracles";
  std::error_code ec;
  if (!fs::exists(p / "check_mlflow.py", ec)) return "";
  return fs::canonical(p, ec).string();
}

/// Ends the test with a note when the oracles are absent.
#define ORACLES_OR_SKIP()                                                                    \
  do {                                                                                       \
    if (itwin::test::oracles_dir().empty()) {                                                \
      WARN("skipped: no real MLflow/TensorBoard here (" << itwin::test::source_root()        \
                                                        << "/../shared/oracles is absent)"); \
      return;                                                                                \
    }                                                                                        \
  } while (0)

/// The prefix of a command line that runs with the oracles' Python trees
/// importable (env.sh; the trees are named here too, in case the folder's
/// links to them were copied as plain files).
inline std::string oracle_env() {
  namespace fs = std::filesystem;
  const fs::path src = fs::path(oracles_dir()) / "src";
  std::string path;
  for (const char* name : {"mlflow", "tensorboard", "pylib"}) {
    fs::path p = src / name;
    if (fs::is_regular_file(p)) {  // a link stored as its target's name
      std::string target = slurp(p.string());
      while (!target.empty() && (target.back() == '\n' || target.back() == ' ')) target.pop_back();
      p = src / fs::path(target).filename();
    }
    if (fs::is_directory(p)) path += (path.empty() ? "" : ":") + p.string();
  }
  return "PYTHONPATH=" + path + " " + oracles_dir() + "/env.sh ";
}

/// Runs `script` (Python source) with MLflow and TensorBoard importable.
inline ProcResult oracle_python(const TempDir& d, const std::string& script,
                                const std::string& args = "") {
  static int n = 0;
  std::string file = d.write("oracle-" + std::to_string(++n) + ".py", script);
  return run_shell(oracle_env() + "python3 " + file + " " + args + " 2>&1");
}

/// The JSON the script prints on its last line.
inline nlohmann::json oracle_json(const TempDir& d, const std::string& script,
                                  const std::string& args = "") {
  auto r = oracle_python(d, script, args);
  INFO(r.out);
  REQUIRE(r.exit_code == 0);
  auto lines = split_lines(r.out);
  REQUIRE(!lines.empty());
  return nlohmann::json::parse(lines.back());
}

/// The oracles' checkers: exit 0 when the real reader took everything.
inline ProcResult check_mlflow(const std::string& store) {
  return run_shell(oracle_env() + "python3 " + oracles_dir() + "/check_mlflow.py " + store +
                   " 2>&1");
}
inline ProcResult check_tb(const std::string& logdir) {
  return run_shell(oracle_env() + "python3 " + oracles_dir() + "/check_tb.py " + logdir + " 2>&1");
}
inline ProcResult tb_groups(const std::string& logdir) {
  return run_shell(oracle_env() + "python3 " + oracles_dir() + "/tb_groups.py " + logdir + " 2>&1");
}

/// A loopback port nobody listens on now.
inline std::string free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  socklen_t len = sizeof a;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    if (fd >= 0) ::close(fd);
    return "";
  }
  ::close(fd);
  return std::to_string(ntohs(a.sin_port));
}

/// A real MLflow tracking server (MLflow's own CLI, file store, registry,
/// artifact proxy) for one test: STORE/mlruns, STORE/mlartifacts. A store
/// directory given in advance is served as it is (an itwin file store under
/// it: `mlflow ui`-style browsing).
struct RealMlflow {
  TempDir dir;
  std::string port, store_dir, pid;
  bool up = false;
  explicit RealMlflow(const std::string& store = "")
      : store_dir(store.empty() ? dir.path() + "/store" : store) {
    port = free_port();
    // One simple command in the background, every descriptor redirected: the
    // pid is the script's, and nothing it starts holds run_shell's pipe.
    run_shell(oracle_env() + "setsid " + oracles_dir() + "/mlflow_server.sh " + port + " " +
              store_dir + " > " + dir.path() + "/server.log 2>&1 < /dev/null & echo $! > " +
              dir.path() + "/pid");
    pid = slurp(dir.path() + "/pid");
    // Ready when /health answers (polled); a server that died ends the wait.
    for (int i = 0; i < 1200 && !up; ++i) {
      up = run_shell("curl -sf -o /dev/null " + uri() + "/health").exit_code == 0;
      if (!up && run_shell("kill -0 " + pid).exit_code != 0) break;
      if (!up) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  ~RealMlflow() {
    // mlflow_server.sh stops gunicorn and the CLI on SIGTERM; wait for it.
    run_shell("kill -TERM " + pid + " 2>/dev/null; for i in $(seq 300); do kill -0 " + pid +
              " 2>/dev/null || exit 0; sleep 0.1; done");
  }
  std::string uri() const { return "http://127.0.0.1:" + port; }
  std::string mlruns() const { return store_dir + "/mlruns"; }
  std::string log() const { return slurp(dir.path() + "/server.log"); }
};

/// Starts a server and REQUIREs it up (its log in the failure message).
#define REQUIRE_SERVER_UP(server) \
  do {                            \
    INFO((server).log());         \
    REQUIRE((server).up);         \
  } while (0)

}  // namespace itwin::test
