// Credentials of a tracking server (a password in the URI, a token) are
// sent, and never printed or stored: not by `itwin runs`, not in the run's
// files, not in registry metadata, not from a server that echoes them back.
// The stand-in server does what a real one will not: echo the request.
#include <catch2/catch.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "../helpers.hpp"
#include "track_helpers.hpp"

using namespace itwin::test;
using Catch::Matchers::Contains;
namespace fs = std::filesystem;

namespace {

// Every file under `dir` that holds `secret`.
std::vector<std::string> files_holding(const std::string& dir, const std::string& secret) {
  std::vector<std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_regular_file() && slurp(e.path().string()).find(secret) != std::string::npos)
      out.push_back(e.path().string());
  }
  return out;
}

}  // namespace

TEST_CASE("mlflow credentials: a password in the tracking URI is used and never printed or stored",
          "[track]") {
  FakeMlflow server(0);
  REQUIRE_FALSE(server.port.empty());
  TempDir d;
  const std::string secret = "pw-S3cret-77";
  const std::string uri = "http://alice:" + secret + "@127.0.0.1:" + server.port;
  std::string cfg = d.write(
      "p.yaml", pipeline("  - {type: mlflow, experiment: creds, tracking_uri: '" + uri + "'}\n"));
  const std::string run = d.path() + "/runs/r1";
  auto r = run_shell(itwin_bin() + " train " + cfg + " --run-dir " + run);
  INFO(r.out);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, !Contains(secret));
  // The server got them as HTTP basic authentication.
  for (const auto& q : server.requests())
    CHECK(q["auth"] == "Basic YWxpY2U6cHctUzNjcmV0LTc3");  // alice:pw-S3cret-77
  auto summary = nlohmann::json::parse(slurp(run + "/summary.json"));
  CHECK(summary["tracked_runs"][0]["store"] == "http://127.0.0.1:" + server.port);
  CHECK_THAT(slurp(run + "/provenance.json"), Contains("http://alice:***@127.0.0.1"));
  const std::string env = "ITWIN_REGISTRY=" + d.path() + "/registry ";
  REQUIRE(run_shell(env + itwin_bin() + " models register " + run + " --name creds").exit_code ==
          0);
  for (const std::string& cmd : std::vector<std::string>{
           " runs list " + d.path() + "/runs", " runs list --json " + d.path() + "/runs",
           " runs show " + run, " runs show --json " + run, " models list --json",
           " models show creds"}) {
    auto out = run_shell(env + itwin_bin() + cmd);
    INFO(cmd << "\n" << out.out);
    CHECK(out.exit_code == 0);
    CHECK_THAT(out.out, !Contains(secret));
  }
  // Nothing itwin stored holds it (the run's files, its artifacts, the registry).
  CHECK(files_holding(run, secret).empty());
  CHECK(files_holding(d.path() + "/registry", secret).empty());
  CHECK(files_holding(server.dir.path() + "/artifacts", secret).empty());

  // From MLFLOW_TRACKING_URI, with the server unreachable: the error names the
  // server, without the password, on the console and in provenance.json.
  std::string plain = d.write("q.yaml", pipeline("  - {type: mlflow}\n"));
  auto down = run_shell("MLFLOW_TRACKING_URI=http://alice:" + secret + "@127.0.0.1:9 " +
                        itwin_bin() + " train " + plain + " --run-dir " + d.path() + "/down");
  INFO(down.out);
  CHECK(down.exit_code == 1);
  CHECK_THAT(down.out, Contains("http://127.0.0.1:9/api/2.0/mlflow/"));
  CHECK_THAT(down.out, !Contains(secret));
  CHECK(files_holding(d.path() + "/down", secret).empty());
}

TEST_CASE(
    "mlflow credentials: a server that echoes the Authorization header does not put the token "
    "anywhere",
    "[track]") {
  FakeMlflow server(0, "echo-auth");
  REQUIRE_FALSE(server.port.empty());
  TempDir d;
  const std::string token = "tok-9f8e7d6c5b4a";
  std::string cfg =
      d.write("p.yaml", pipeline("  - {type: mlflow, tracking_uri: '" + server.uri() + "'}\n"));
  auto r = run_shell("MLFLOW_TRACKING_TOKEN=" + token + " " + itwin_bin() + " train " + cfg +
                     " --run-dir " + d.path() + "/run");
  INFO(r.out);
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.out, Contains("runs/create failed: HTTP 403"));
  CHECK_THAT(r.out, Contains("Authorization: ***"));  // the answer is shown, redacted
  CHECK_THAT(r.out, !Contains(token));
  auto prov = slurp(d.path() + "/run/provenance.json");
  CHECK_THAT(prov, Contains("HTTP 403"));
  CHECK(files_holding(d.path() + "/run", token).empty());
  // Basic credentials from the environment are kept out the same way.
  auto basic = run_shell("MLFLOW_TRACKING_USERNAME=bob MLFLOW_TRACKING_PASSWORD=hunter2-long " +
                         itwin_bin() + " train " + cfg + " --run-dir " + d.path() + "/basic");
  INFO(basic.out);
  CHECK_THAT(basic.out, !Contains("hunter2-long"));
  CHECK_THAT(basic.out, !Contains("Ym9iOmh1bnRlcjItbG9uZw=="));  // bob:hunter2-long
  CHECK(files_holding(d.path() + "/basic", "Ym9iOmh1bnRlcjItbG9uZw==").empty());
}
