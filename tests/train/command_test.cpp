// The `command` step and multi-step pipelines, through the built binary.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "../helpers.hpp"

using namespace itwin::test;
using Catch::Matchers::Contains;
namespace fs = std::filesystem;

TEST_CASE("command step: argv, env, cwd, exit status, timeout", "[pipeline]") {
  TempDir d;
  std::string cfg =
      d.write("p.yaml",
              "pipelines:\n  prep:\n    steps:\n"
              "      - {name: write, type: command, argv: [sh, -c, 'echo \"$GREETING\" > "
              "out.txt'], env: {GREETING: hello}, cwd: " +
                  d.path() +
                  "}\n"
                  "      - {name: show, type: command, shell: 'cat " +
                  d.path() +
                  "/out.txt'}\n"
                  "  failing:\n    steps:\n      - {name: bad, type: command, argv: ['false']}\n"
                  "  tolerant:\n    steps:\n      - {name: bad, type: command, argv: ['false'], "
                  "check: false}\n"
                  "  slow:\n    steps:\n      - {name: wait, type: command, argv: [sleep, '30'], "
                  "timeout: 0.5}\n"
                  "  missing:\n    steps:\n      - {name: nope, type: command, argv: "
                  "[no-such-program-xyz]}\n");
  std::string base = itwin_bin() + " run " + cfg + " --run-dir " + d.path() + "/runs/";
  auto ok = run_shell(base + "1 -p prep");
  INFO(ok.out);
  CHECK(ok.exit_code == 0);
  CHECK_THAT(ok.out, Contains("hello"));
  auto fail = run_shell(base + "2 -p failing");
  CHECK(fail.exit_code == 1);
  CHECK_THAT(fail.out, Contains("step 'bad': command exited with status 1"));
  CHECK(run_shell(base + "3 -p tolerant").exit_code == 0);
  auto slow = run_shell(base + "4 -p slow", 60);
  CHECK(slow.exit_code == 1);
  CHECK_THAT(slow.out, Contains("status 143"));  // SIGTERM after the timeout
  auto missing = run_shell(base + "5 -p missing");
  CHECK(missing.exit_code == 1);
  CHECK_THAT(missing.out, Contains("cannot run 'no-such-program-xyz'"));
  std::ifstream summary(d.path() + "/runs/2/summary.json");
  std::string text((std::istreambuf_iterator<char>(summary)), {});
  CHECK_THAT(text, Contains("\"status\": \"FAILED\""));
}

TEST_CASE("pipeline: --steps runs a subset; steps check what came before", "[pipeline]") {
  TempDir d;
  std::string cfg = d.write("p.yaml",
                            "pipelines:\n  training:\n    steps:\n"
                            "      - {name: data, type: dataset, format: synthetic}\n"
                            "      - {name: model, type: model, arch: mlp}\n"
                            "      - {name: train, type: trainer, test_every: 1, max_steps: 3}\n");
  auto only_data =
      run_shell(itwin_bin() + " train " + cfg + " --steps data --run-dir " + d.path() + "/a");
  CHECK(only_data.exit_code == 0);
  CHECK_THAT(only_data.out, Contains("data: synthetic"));
  CHECK_THAT(only_data.out, !Contains("model:"));
  auto no_model =
      run_shell(itwin_bin() + " train " + cfg + " --steps data,train --run-dir " + d.path() + "/b");
  CHECK(no_model.exit_code == 2);  // the step graph is checked before anything runs
  CHECK_THAT(no_model.out, Contains("step 'train' (trainer) needs a model step before it, which "
                                    "--steps data,train leaves out"));
  CHECK_FALSE(fs::exists(d.path() + "/b"));
}
