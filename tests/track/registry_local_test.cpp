// itwin's local registry under concurrent use: alias updates from several
// processes at once are read-modify-writes of one file, none may be lost.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "../helpers.hpp"
#include "track_helpers.hpp"

using namespace itwin::test;

TEST_CASE("models: 8 concurrent `itwin models alias` calls on a local registry keep every alias",
          "[track]") {
  TempDir d;
  const std::string env = "ITWIN_REGISTRY=" + d.path() + "/registry ";
  std::string cfg = d.write("p.yaml", pipeline("  - {type: jsonl}\n"));
  REQUIRE(run_shell(itwin_bin() + " train " + cfg + " --run-dir " + d.path() + "/r1").exit_code ==
          0);
  REQUIRE(run_shell(env + itwin_bin() + " models register " + d.path() + "/r1 --name blobs")
              .exit_code == 0);
  for (int round = 0; round < 3; ++round) {
    std::string cmd;
    for (int i = 0; i < 8; ++i) {
      cmd += env + itwin_bin() + " models alias blobs a" + std::to_string(round) + "_" +
             std::to_string(i) + " 1 & ";
    }
    auto r = run_shell(cmd + "wait");
    INFO(r.out);
    REQUIRE(r.exit_code == 0);
  }
  auto aliases = nlohmann::json::parse(slurp(d.path() + "/registry/blobs/aliases.json"));
  INFO(aliases.dump());
  CHECK(aliases.size() == 24);
  auto list = nlohmann::json::parse(run_shell(env + itwin_bin() + " models list --json").out);
  CHECK(list["blobs"][0]["aliases"].size() == 24);
}
