// `${secret:NAME}`: the value is used, but to_yaml(), flat_params() and
// error messages show `${secret:NAME}` or `***`, never the value.
#include <catch2/catch.hpp>
#include <cstdlib>

#include "config_fixture.hpp"
#include "itwin/config/load.hpp"

using namespace itwin;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

namespace {

const char* kValue = "tok-7f3a9c-do-not-print";

struct SecretEnv {
  SecretEnv() {
    setenv("ITWIN_TEST_SECRET", kValue, 1);
    setenv("ITWIN_TEST_EPOCHS", "3", 1);
  }
  ~SecretEnv() {
    unsetenv("ITWIN_TEST_SECRET");
    unsetenv("ITWIN_TEST_EPOCHS");
  }
};

std::string secret_pipeline() {
  return "vars:\n"
         "  token: ${secret:ITWIN_TEST_SECRET}\n"
         "pipelines:\n"
         "  training:\n"
         "    steps:\n"
         "      - {name: data, type: dataset, format: synthetic}\n"
         "      - {name: model, type: model, arch: mlp}\n"
         "      - name: train\n"
         "        type: trainer\n"
         "        epochs: ${secret:ITWIN_TEST_EPOCHS}\n"
         "      - name: fetch\n"
         "        type: command\n"
         "        argv: [curl, -H, 'Authorization: Bearer ${token}', 'cost: $${HOME}']\n"
         "        env: {TOKEN: '${token}', DIRECT: '${secret:ITWIN_TEST_SECRET}'}\n";
}

const config::CommandSpec& command_of(const config::Config& c) {
  return std::get<config::CommandSpec>(c.pipelines.at(0).steps.at(3).spec);
}

}  // namespace

TEST_CASE("secret: the value is used where the config is read", "[config][secret]") {
  SecretEnv env;
  auto cfg = test::load_text(secret_pipeline());
  const auto& cmd = command_of(cfg);
  CHECK(cmd.env.at("TOKEN") == kValue);
  CHECK(cmd.env.at("DIRECT") == kValue);
  CHECK(cmd.argv.at(2) == std::string("Authorization: Bearer ") + kValue);
  CHECK(cmd.argv.at(3) == "cost: ${HOME}");
  CHECK(test::trainer_of(cfg).epochs == 3);
}

TEST_CASE("secret: to_yaml writes the reference, and reading it back resolves it again",
          "[config][secret]") {
  SecretEnv env;
  auto cfg = test::load_text(secret_pipeline());
  std::string text = config::to_yaml(cfg.resolved);
  CHECK_THAT(text, !Contains(kValue));
  CHECK_THAT(text, Contains("token: ${secret:ITWIN_TEST_SECRET}"));
  CHECK_THAT(text, Contains("epochs: ${secret:ITWIN_TEST_EPOCHS}"));
  CHECK_THAT(text, Contains("Authorization: Bearer ${secret:ITWIN_TEST_SECRET}"));
  CHECK_THAT(text, Contains("cost: $${HOME}"));  // a literal stays a literal
  auto again = config::load_config_text(text, "resolved.yaml");
  CHECK(command_of(again).env.at("TOKEN") == kValue);
  CHECK(command_of(again).argv.at(3) == "cost: ${HOME}");
  CHECK(test::trainer_of(again).epochs == 3);
  CHECK(config::to_yaml(again.resolved) == text);
  // Where the job runs, the value comes from that environment.
  setenv("ITWIN_TEST_SECRET", "other", 1);
  CHECK(command_of(config::load_config_text(text, "resolved.yaml")).env.at("TOKEN") == "other");
}

TEST_CASE("secret: tracking parameters show ***", "[config][secret]") {
  SecretEnv env;
  auto cfg = test::load_text(secret_pipeline());
  auto params = config::flat_params(cfg, cfg.pipelines.at(0));
  CHECK(params.at("train.epochs") == "***");
  CHECK(params.at("fetch.env.TOKEN") == "***");
  CHECK_THAT(params.at("fetch.argv"), Contains("***"));
  for (const auto& [k, v] : params) {
    INFO(k);
    CHECK_THAT(v, !Contains(kValue));
  }
}

TEST_CASE("secret: errors name the reference, never the value", "[config][secret]") {
  SecretEnv env;
  setenv("ITWIN_TEST_SECRET", "many", 1);
  auto msg =
      test::config_error(test::minimal_pipeline("        epochs: ${secret:ITWIN_TEST_SECRET}\n"));
  CHECK_THAT(msg, Contains("'epochs' must be an integer, got '${secret:ITWIN_TEST_SECRET}'"));
  CHECK_THAT(msg, !Contains("many"));
  setenv("ITWIN_TEST_SECRET", "-5", 1);
  msg = test::config_error(test::minimal_pipeline("        epochs: ${secret:ITWIN_TEST_SECRET}\n"));
  CHECK_THAT(msg, Contains("got ${secret:ITWIN_TEST_SECRET}"));
  CHECK_THAT(msg, !Contains("-5"));
  setenv("ITWIN_TEST_SECRET", "adamx", 1);
  msg = test::config_error(
      test::minimal_pipeline("        optimizer: ${secret:ITWIN_TEST_SECRET}\n"));
  CHECK_THAT(msg, Contains("got '${secret:ITWIN_TEST_SECRET}'"));
  CHECK_THAT(msg, !Contains("adamx"));
}

TEST_CASE("secret: unset, malformed or with a default is a located error", "[config][secret]") {
  unsetenv("ITWIN_TEST_UNSET_SECRET");
  CHECK_THAT(test::config_error("vars:\n  t: ${secret:ITWIN_TEST_UNSET_SECRET}\n" +
                                test::minimal_pipeline()),
             StartsWith("test.yaml:2:6: secret 'ITWIN_TEST_UNSET_SECRET' is not set"));
  CHECK_THAT(test::config_error("vars:\n  t: ${secret:A-B}\n" + test::minimal_pipeline()),
             Contains("a secret is the name of an environment variable"));
  CHECK_THAT(test::config_error("vars:\n  t: ${secret:A:-dflt}\n" + test::minimal_pipeline()),
             Contains("without a default"));
}

TEST_CASE("secret: a '$' right before a secret cannot be written back and says so",
          "[config][secret]") {
  SecretEnv env;
  setenv("ITWIN_TEST_DOLLAR", "a$", 1);
  auto msg =
      test::config_error("vars:\n  t: ${env:ITWIN_TEST_DOLLAR}${secret:ITWIN_TEST_SECRET}\n" +
                         test::minimal_pipeline());
  CHECK_THAT(msg, StartsWith("test.yaml:2:6: a '$' right before a secret"));
  unsetenv("ITWIN_TEST_DOLLAR");
}

TEST_CASE("secret: a secret in the slurm section only as a whole env value", "[config][secret]") {
  SecretEnv env;
  auto cfg =
      test::load_text("slurm:\n  env: {HF_TOKEN: '${secret:ITWIN_TEST_SECRET}', PLAIN: x}\n" +
                      test::minimal_pipeline());
  CHECK(cfg.slurm.env_secrets.at("HF_TOKEN") == "ITWIN_TEST_SECRET");
  CHECK(cfg.slurm.env.count("HF_TOKEN") == 0);
  CHECK(cfg.slurm.env.at("PLAIN") == "x");
  auto part = test::config_error("slurm:\n  env: {H: 'Bearer ${secret:ITWIN_TEST_SECRET}'}\n" +
                                 test::minimal_pipeline());
  CHECK_THAT(
      part, StartsWith("test.yaml:2:12: env.H holds a secret, but a job script never carries one"));
  auto other = test::config_error("slurm:\n  partition: ${secret:ITWIN_TEST_SECRET}\n" +
                                  test::minimal_pipeline());
  CHECK_THAT(other, StartsWith("test.yaml:2:14: partition holds a secret"));
  CHECK_THAT(part + other, !Contains(kValue));
}
