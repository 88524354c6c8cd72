// The `monitor:` section: defaults, the cluster profile's carbon intensity, errors.
#include <catch2/catch.hpp>

#include "../helpers.hpp"
#include "config_fixture.hpp"

using namespace itwin;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

TEST_CASE("monitor config: defaults", "[config]") {
  auto c = test::load_text(test::minimal_pipeline());
  CHECK(c.monitor.enabled);
  CHECK(c.monitor.interval == 1.0);
  CHECK(c.monitor.carbon_intensity == config::kDefaultCarbonIntensity);
  CHECK(c.monitor.carbon_intensity_source == "default");
  const config::Node* m = c.resolved.find("monitor");  // `validate --resolved` shows it
  REQUIRE(m);
  CHECK(m->find("carbon_intensity")->scalar == "475.0");
}

TEST_CASE("monitor config: values and --set", "[config]") {
  auto c = test::load_text("monitor: {interval: 0.5, carbon_intensity: 56, enabled: false}\n" +
                           test::minimal_pipeline());
  CHECK_FALSE(c.monitor.enabled);
  CHECK(c.monitor.interval == 0.5);
  CHECK(c.monitor.carbon_intensity == 56.0);
  CHECK(c.monitor.carbon_intensity_source == "run");
  auto s = test::load_text(test::minimal_pipeline(), {"monitor.carbon_intensity=0"});
  CHECK(s.monitor.carbon_intensity == 0.0);
}

TEST_CASE("monitor config: the cluster profile's carbon intensity, unless the run gives one",
          "[config]") {
  test::TempDir d;
  std::string profile = d.write("green.yaml", "name: green\ncarbon_intensity: 30\ndefaults: {}\n");
  auto c = test::load_text("slurm: {profile: " + profile + "}\n" + test::minimal_pipeline());
  CHECK(c.slurm_profile.carbon_intensity == 30.0);
  CHECK(c.monitor.carbon_intensity == 30.0);
  CHECK(c.monitor.carbon_intensity_source == "profile");
  auto own = test::load_text("slurm: {profile: " + profile +
                             "}\nmonitor: {carbon_intensity: 400}\n" + test::minimal_pipeline());
  CHECK(own.monitor.carbon_intensity == 400.0);
  CHECK(own.monitor.carbon_intensity_source == "run");
}

TEST_CASE("monitor config: errors are located", "[config]") {
  CHECK_THAT(test::config_error("monitor: {intervall: 2}\n" + test::minimal_pipeline()),
             StartsWith("test.yaml:1:11: unknown key 'intervall' in the pipeline file.monitor (did "
                        "you mean 'interval'?)"));
  CHECK_THAT(test::config_error("monitor: {interval: 0}\n" + test::minimal_pipeline()),
             Contains("'interval' must be in [0.05, 3600.0], got 0"));
  CHECK_THAT(test::config_error("monitor: {carbon_intensity: -1}\n" + test::minimal_pipeline()),
             Contains("'carbon_intensity' must be in [0.0, 5000.0], got -1"));
  CHECK_THAT(test::config_error("monitor: {enabled: sometimes}\n" + test::minimal_pipeline()),
             Contains("'enabled' must be true or false, got 'sometimes'"));
  CHECK_THAT(test::config_error("monitor: 5\n" + test::minimal_pipeline()),
             StartsWith("test.yaml:1:10: the pipeline file.monitor: expected a map of keys"));
}
