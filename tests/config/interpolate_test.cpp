#include <catch2/catch.hpp>
#include <cstdlib>

#include "config_fixture.hpp"
#include "itwin/config/load.hpp"

using namespace itwin;
using Catch::Matchers::Contains;

namespace {
config::Node interp(const std::string& yaml) {
  auto n = config::load_string(yaml, "i.yaml");
  config::interpolate(n);
  return n;
}
}  // namespace

TEST_CASE("interpolate: vars first, then the document root", "[config]") {
  auto n = interp("vars: {lr: 0.1, name: a}\nrun: {name: r1}\nx: ${lr}\ny: ${run.name}-${name}\n");
  CHECK(n.find("x")->scalar == "0.1");
  CHECK(n.find("y")->scalar == "r1-a");
}

TEST_CASE("interpolate: a whole reference keeps maps and lists", "[config]") {
  auto n = interp("vars:\n  opt: {name: sgd, lr: 1}\n  sizes: [1, 2]\nx: ${opt}\ny: ${sizes}\n");
  REQUIRE(n.find("x")->is_map());
  CHECK(n.find("x")->find("name")->scalar == "sgd");
  REQUIRE(n.find("y")->is_seq());
  CHECK(n.find("y")->seq.size() == 2);
}

TEST_CASE("interpolate: chains resolve in any order", "[config]") {
  auto n = interp("a: ${b}/x\nb: ${c}/y\nc: root\n");
  CHECK(n.find("a")->scalar == "root/y/x");
}

TEST_CASE("interpolate: list items by index", "[config]") {
  auto n = interp("vars: {dims: [3, 5]}\nx: ${dims.1}\n");
  CHECK(n.find("x")->scalar == "5");
}

TEST_CASE("interpolate: environment variables with and without default", "[config]") {
  setenv("ITWIN_TEST_VAR", "from-env", 1);
  auto n = interp("a: ${env:ITWIN_TEST_VAR}\nb: ${env:ITWIN_TEST_UNSET_XYZ:-fallback}\n");
  CHECK(n.find("a")->scalar == "from-env");
  CHECK(n.find("b")->scalar == "fallback");
  unsetenv("ITWIN_TEST_VAR");
  try {
    interp("a: x\nb: ${env:ITWIN_TEST_UNSET_XYZ}\n");
    FAIL("expected an error");
  } catch (const ConfigError& e) {
    CHECK_THAT(e.what(),
               Contains("i.yaml:2:4: environment variable 'ITWIN_TEST_UNSET_XYZ' is not set"));
  }
}

TEST_CASE("interpolate: $${ is a literal", "[config]") {
  auto n = interp("a: cost $${HOME}\n");
  CHECK(n.find("a")->scalar == "cost ${HOME}");
}

TEST_CASE("interpolate: cycles are errors naming the chain", "[config]") {
  try {
    interp("vars:\n  a: ${b}\n  b: ${c}\n  c: ${a}\n");
    FAIL("expected an error");
  } catch (const ConfigError& e) {
    CHECK_THAT(e.what(), Contains("interpolation cycle: vars.a -> vars.b -> vars.c -> vars.a"));
  }
}

TEST_CASE("interpolate: a self reference is a cycle", "[config]") {
  CHECK_THROWS_WITH(interp("a: x-${a}\n"), Contains("interpolation cycle: a -> a"));
}

TEST_CASE("interpolate: unknown references suggest a name", "[config]") {
  try {
    interp("vars: {learning_rate: 1}\nx: ${learning_rte}\n");
    FAIL("expected an error");
  } catch (const ConfigError& e) {
    CHECK_THAT(e.what(), Contains("i.yaml:2:4: unknown reference '${learning_rte}'"));
    CHECK_THAT(e.what(), Contains("did you mean 'learning_rate'?"));
  }
}

TEST_CASE("interpolate: a map cannot go inside text", "[config]") {
  CHECK_THROWS_WITH(interp("vars: {m: {a: 1}}\nx: pre-${m}\n"),
                    Contains("is a map and cannot be inserted"));
}

TEST_CASE("interpolate: typed values stay typed through references", "[config]") {
  auto cfg = test::load_text("vars: {e: 5}\n" + test::minimal_pipeline("        epochs: ${e}\n"));
  CHECK(test::trainer_of(cfg).epochs == 5);
}
