// Hostile and odd pipeline files: every one is a located ConfigError, never a
// crash, a hang or a silently wrong config. The exponential documents whose
// old behaviour was to eat memory are in tests/cli/security_test.cpp, where a
// process limit contains a regression.
#include <catch2/catch.hpp>
#include <cstdlib>
#include <string>

#include "../helpers.hpp"
#include "config_fixture.hpp"
#include "itwin/config/load.hpp"

using namespace itwin;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

namespace {

std::string load_error(const std::string& yaml) {
  try {
    config::Node n = config::load_string(yaml, "h.yaml");
    config::interpolate(n);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

// A command step, so that a test can put any option under a pipeline.
std::string command_pipeline(const std::string& step_keys) {
  return "pipelines:\n  training:\n    steps:\n      - name: c\n        type: command\n" +
         step_keys;
}

}  // namespace

TEST_CASE("hostile: a recursive alias is a located error, not a stack overflow",
          "[config][hostile]") {
  CHECK_THAT(load_error("a: &a [*a]\n"),
             StartsWith("h.yaml:1:8: alias '*a' refers to the node it is in"));
  CHECK_THAT(load_error("x: 1\nm: &m\n  k: [1, {deep: *m}]\n"),
             StartsWith("h.yaml:3:17: alias '*m'"));
  // An alias of a finished node is fine, and a copy.
  auto n = config::load_string("a: &a [1, 2]\nb: *a\n", "h.yaml");
  REQUIRE(n.find("b")->is_seq());
  CHECK(n.find("b")->seq.size() == 2);
}

TEST_CASE("hostile: interpolation that contains itself is a cycle", "[config][hostile]") {
  // A list whose element is the list itself.
  auto list = load_error("vars:\n  a: [1, '${a}']\n");
  CHECK_THAT(list, StartsWith("h.yaml:2:10: interpolation cycle: vars.a -> vars.a.1 -> vars.a"));
  CHECK_THAT(list, Contains("vars.a at h.yaml:2:6"));
  CHECK_THAT(list, Contains("vars.a.1 at h.yaml:2:10"));
  // A map whose value is the map.
  CHECK_THAT(load_error("vars:\n  m: {k: '${m}'}\n"),
             Contains("interpolation cycle: vars.m -> vars.m.k -> vars.m"));
  // Through another node: a = b, and b holds a.
  CHECK_THAT(load_error("a: '${b}'\nb: {c: '${a}'}\n"),
             Contains("interpolation cycle: a -> b -> b.c -> a"));
  // Through an ancestor reached by a jump: vars.a is resolved for x, and refers to vars.
  CHECK_THAT(load_error("x: '${vars.a}'\nvars:\n  a: ['${vars}']\n"),
             Contains("interpolation cycle"));
}

TEST_CASE("hostile: a step option that references its own pipeline is a cycle",
          "[config][hostile]") {
  auto msg = test::config_error(command_pipeline("        argv: ['${pipelines.training}']\n"));
  CHECK_THAT(msg, StartsWith("test.yaml:6:16: interpolation cycle"));
  CHECK_THAT(msg, Contains("pipelines.training"));
}

TEST_CASE("hostile: --set of a value that contains its container is a cycle", "[config][hostile]") {
  auto msg =
      test::config_error("vars: {a: {x: 1}}\n" + test::minimal_pipeline(), {"vars.a.b=${vars.a}"});
  CHECK_THAT(msg, StartsWith("--set #1 'vars.a.b=${vars.a}': interpolation cycle"));
  auto alias = test::config_error(test::minimal_pipeline(), {"vars.x=&a [*a]"});
  CHECK_THAT(alias, StartsWith("--set #1 'vars.x=&a [*a]'"));
  CHECK_THAT(alias, Contains("alias '*a' refers to the node it is in"));
}

TEST_CASE("hostile: a file with several YAML documents is rejected", "[config][hostile]") {
  CHECK_THAT(
      load_error("a: 1\n---\nb: 2\n"),
      StartsWith("h.yaml:2:1: a second YAML document starts here; a pipeline file holds one"));
  CHECK_THAT(load_error("a: 1\n---\n"), Contains("a second YAML document"));
  CHECK(load_error("---\na: 1\n...\n").empty());  // one document with explicit markers is fine
}

TEST_CASE("hostile: control characters in values and keys are rejected", "[config][hostile]") {
  CHECK_THAT(load_error("a: ok\nb: \"x\\ey\"\n"),
             StartsWith("h.yaml:2:4: value contains the control character U+001B"));
  CHECK_THAT(load_error("a: \"nul\\0here\"\n"),
             Contains("h.yaml:1:4: value contains the control character U+0000"));
  CHECK_THAT(load_error("a: \"cr\\rhere\"\n"), Contains("U+000D"));
  CHECK_THAT(load_error("\"k\\nx\": 1\n"),
             StartsWith("h.yaml:1:1: key contains the control character U+000A"));
  CHECK_THAT(load_error("a: \"\\x85\"\n"), Contains("U+0085"));
  // Newlines and tabs in values are text (block scalars for shell lines).
  CHECK(load_error("a: |\n  line 1\n  \tline 2\n").empty());
  // From the environment too: located at the reference.
  setenv("ITWIN_HOSTILE_CTRL", "a\x1b[31mb", 1);
  CHECK_THAT(load_error("x: 1\ny: pre-${env:ITWIN_HOSTILE_CTRL}\n"),
             StartsWith("h.yaml:2:4: value contains the control character U+001B"));
  unsetenv("ITWIN_HOSTILE_CTRL");
}

TEST_CASE("hostile: invalid UTF-8 is rejected where it is", "[config][hostile]") {
  CHECK_THAT(load_error("a: ok\nb: caf\xc3\n"), StartsWith("h.yaml:2:7: invalid UTF-8"));
  CHECK_THAT(load_error("a: \xff\xfe\n"), StartsWith("h.yaml:1:4: invalid UTF-8"));
  CHECK_THAT(load_error("a: \xc0\xaf\n"), Contains("invalid UTF-8"));      // overlong '/'
  CHECK_THAT(load_error("a: \xed\xa0\x80\n"), Contains("invalid UTF-8"));  // a surrogate
  CHECK(load_error("a: café ✓ 😀\n").empty());
  setenv("ITWIN_HOSTILE_UTF8", "bad\xff", 1);
  CHECK_THAT(load_error("y: ${env:ITWIN_HOSTILE_UTF8}\n"),
             StartsWith("h.yaml:1:4: value is not valid UTF-8"));
  unsetenv("ITWIN_HOSTILE_UTF8");
}

TEST_CASE("hostile: unsupported tags are rejected, standard ones work", "[config][hostile]") {
  CHECK_THAT(load_error("a: !!python/object:os.system x\n"),
             StartsWith("h.yaml:1:4: unsupported tag"));
  CHECK_THAT(load_error("a: !secret x\n"), Contains("unsupported tag '!secret'"));
  auto n = config::load_string("a: !!str 5\nb: !!int 6\n", "h.yaml");
  CHECK(n.find("a")->quoted);
  CHECK_FALSE(n.find("b")->quoted);
}

TEST_CASE("hostile: sizes are bounded with located errors", "[config][hostile]") {
  std::string many = "a: [";
  for (int i = 0; i < 100001; ++i) many += i ? ",1" : "1";
  many += "]\n";
  CHECK_THAT(load_error(many), StartsWith("h.yaml:1:4: list has more than 100000 items"));
  std::string deep = "a: " + std::string(100, '[') + std::string(100, ']') + "\n";
  CHECK_THAT(load_error(deep), Contains("nested more than 64 levels deep"));
  std::string big = "a: '" + std::string((1 << 20) + 1, 'x') + "'\n";
  CHECK_THAT(load_error(big), StartsWith("h.yaml:1:4: value is longer than 1048576 bytes"));
  test::TempDir d;
  std::string huge = d.write("huge.yaml", "# " + std::string(5 << 20, 'x') + "\na: 1\n");
  CHECK_THAT(load_error("a: !include " + huge + "\n"), Contains("is larger than 4194304 bytes"));
  // --set paths are bounded too (each segment nests a map).
  std::string path = "vars";
  for (int i = 0; i < 100; ++i) path += ".a";
  CHECK_THAT(test::config_error(test::minimal_pipeline(), {path + "=1"}),
             Contains("more than 64 levels"));
}

TEST_CASE("hostile: growth through aliases and references is bounded", "[config][hostile]") {
  // Small versions of the bombs (10^6 nodes and 3 MB values before the fix): refused before they
  // are built.
  std::string aliases = "l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i <= 5; ++i) {
    std::string prev = "*l" + std::to_string(i - 1);
    aliases += "l" + std::to_string(i) + ": &l" + std::to_string(i) + " [" + prev;
    for (int k = 1; k < 10; ++k) aliases += ", " + prev;
    aliases += "]\n";
  }
  CHECK_THAT(load_error(aliases), Contains("expands to more than 200000 nodes"));
  std::string refs = "vars:\n  l0: [x, x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i <= 5; ++i) {
    std::string prev = "'${l" + std::to_string(i - 1) + "}'";
    refs += "  l" + std::to_string(i) + ": [" + prev;
    for (int k = 1; k < 10; ++k) refs += ", " + prev;
    refs += "]\n";
  }
  CHECK_THAT(load_error(refs), Contains("expands to more than 200000 nodes"));
  std::string text = "vars:\n  s0: xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n";
  for (int i = 1; i <= 5; ++i) {
    std::string prev = "${s" + std::to_string(i - 1) + "}";
    text += "  s" + std::to_string(i) + ": ";
    for (int k = 0; k < 10; ++k) text += prev;
    text += "\n";
  }
  CHECK_THAT(load_error(text), Contains("value is longer than 1048576 bytes"));
}

TEST_CASE("hostile: names that become paths are single safe path components", "[config][hostile]") {
  for (const char* bad : {"'..'", "'.'", "'a/b'", "\"a\\nb\"", "''"}) {
    INFO(bad);
    auto msg =
        test::config_error("run:\n  name: " + std::string(bad) + "\n" + test::minimal_pipeline());
    CHECK_THAT(msg, StartsWith("test.yaml:2:9: "));
    CHECK_THAT(msg, Contains("'name' must be one path component"));
  }
  auto pipe =
      test::config_error("pipelines:\n  '..':\n    steps: [{name: c, type: command, argv: [x]}]\n");
  CHECK_THAT(pipe, StartsWith("test.yaml:2:3: pipeline name '..'"));
  auto step = test::config_error(
      "pipelines:\n  training:\n    steps:\n      - name: \"a\\tb\"\n        type: command\n       "
      " argv: [x]\n");
  CHECK_THAT(step, StartsWith("test.yaml:4:15: "));
  CHECK_THAT(step, Contains("'name' must be"));
  auto exp = test::config_error("loggers: [{type: mlflow, experiment: \"e\\nx\"}]\n" +
                                test::minimal_pipeline());
  CHECK_THAT(exp, StartsWith("test.yaml:1:38: loggers item 1: 'experiment'"));
  CHECK(test::config_error("run: {name: 'fine-name_1.2'}\n" + test::minimal_pipeline()).empty());
}

TEST_CASE("hostile: environment keys of a command step must be variable names",
          "[config][hostile]") {
  for (const char* bad : {"'1BAD'", "'A=B'", "'A B'", "''", "'A-B'"}) {
    INFO(bad);
    auto msg = test::config_error(command_pipeline("        argv: [env]\n        env:\n          " +
                                                   std::string(bad) + ": x\n"));
    CHECK_THAT(msg, StartsWith("test.yaml:8:11: step 'c' (type command): 'env' key"));
    CHECK_THAT(msg, Contains("is not a valid environment variable name"));
  }
  CHECK(test::config_error(command_pipeline("        argv: [env]\n        env: {_OK_1: x}\n"))
            .empty());
}
