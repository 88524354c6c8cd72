// provenance.json records the environment of interest, but never a secret's value.
#include "itwin/track/provenance.hpp"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>

#include "../helpers.hpp"

using namespace itwin;

TEST_CASE(
    "provenance: secrets of the config and secret-like names are recorded as set, not by value",
    "[track][secret]") {
  setenv("ITWIN_PROV_SECRET", "v-4711", 1);
  setenv("ITWIN_API_TOKEN", "v-4712", 1);
  setenv("ITWIN_PROV_PLAIN", "plain", 1);
  CHECK(track::secret_names("a: ${secret:ITWIN_PROV_SECRET}\nb: \"x ${secret:B_2}\"\n") ==
        std::set<std::string>{"ITWIN_PROV_SECRET", "B_2"});
  test::TempDir d;
  track::Provenance p;
  p.run_dir = d.path();
  p.config_yaml = "vars:\n  t: ${secret:ITWIN_PROV_SECRET}\n";
  track::write_provenance(p);
  std::ifstream in(d.path() + "/provenance.json");
  auto j = nlohmann::json::parse(in);
  CHECK(j["environment"]["ITWIN_PROV_SECRET"] == "***");
  CHECK(j["environment"]["ITWIN_API_TOKEN"] == "***");
  CHECK(j["environment"]["ITWIN_PROV_PLAIN"] == "plain");
  CHECK(j.dump().find("v-471") == std::string::npos);
  unsetenv("ITWIN_PROV_SECRET");
  unsetenv("ITWIN_API_TOKEN");
  unsetenv("ITWIN_PROV_PLAIN");
}
