// Loading plugins: the use case's plugin, each way a library can be wrong,
// and `plugins:` in a pipeline file (errors at the entry, paths relative to
// the file). Plugins stay loaded for the process, so each test only adds.
#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>

#include "../config/config_fixture.hpp"
#include "../helpers.hpp"
#include "itwin/plugin/registry.hpp"

using namespace itwin;
using Catch::Matchers::Contains;
namespace fs = std::filesystem;

namespace {

std::string hython() { return std::getenv("ITWIN_TEST_PLUGIN"); }
std::string fixture(const std::string& mode) {
  return std::string(std::getenv("ITWIN_TEST_FIXTURES")) + "/libfixture_" + mode + ".so";
}

std::string load_error(const std::string& path) {
  try {
    plugin::load_plugin(path);
  } catch (const plugin::PluginError& e) {
    CHECK(e.exit_code() == 2);
    return e.what();
  }
  FAIL("loaded");
  return "";
}

}  // namespace

TEST_CASE("plugin: the built-in components are registry entries like any plugin's", "[plugin]") {
  const auto* regular = plugin::window_samplers().find("regular");
  REQUIRE(regular);
  CHECK(regular->origin == "built in");
  const auto* rolling = plugin::derived_variables().find("rolling_mean");
  REQUIRE(rolling);
  CHECK(rolling->inputs == std::vector<std::string>{"x"});
  REQUIRE(rolling->options.size() == 1);
  CHECK(rolling->options[0].name == "window");
  CHECK(rolling->options[0].default_value == "30");
  auto views = plugin::registry_views();
  REQUIRE(views.size() == 2);
  CHECK(views[0].key == "sampler");
  CHECK(views[0].items.at(0).first == "regular");
}

TEST_CASE("plugin: the hython plugin registers its samplers and snowmelt, once", "[plugin]") {
  auto p = plugin::load_plugin(hython());
  CHECK(p.path == fs::canonical(hython()).string());
  CHECK(p.samplers == std::vector<std::string>{"low_flow", "random"});
  CHECK(p.derived == std::vector<std::string>{"snowmelt"});
  const auto* low = plugin::window_samplers().find("low_flow");
  REQUIRE(low);
  CHECK(low->origin == p.path);
  CHECK(low->describe("window sampler") == "window sampler 'low_flow' (plugin " + p.path + ")");
  const auto* snow = plugin::derived_variables().find("snowmelt");
  REQUIRE(snow);
  CHECK(snow->inputs == std::vector<std::string>{"temp", "precip"});
  const size_t n = plugin::window_samplers().entries().size();
  auto again = plugin::load_plugin(hython());  // the same file again: nothing new
  CHECK(again.samplers == p.samplers);
  CHECK(plugin::window_samplers().entries().size() == n);
  CHECK_FALSE(plugin::registry_views(false)[0].items.size() ==
              plugin::registry_views(true)[0].items.size());
}

TEST_CASE("plugin: a plugin built for another API version is refused, saying what to do",
          "[plugin]") {
  auto e = load_error(fixture("version"));
  CHECK_THAT(e, Contains("plugin '" + fixture("version") +
                         "' was built for itwin plugin API version 2, but this "
                         "itwin implements version 1: rebuild it against this itwin's headers "
                         "(pkg-config --cflags itwin)"));
}

TEST_CASE("plugin: a library without the entry points, a file that is no library, a missing file",
          "[plugin]") {
  CHECK_THAT(load_error(fixture("no_entry")),
             Contains("is not an itwin plugin: it exports no 'itwin_plugin_api_version'") &&
                 Contains("ITWIN_PLUGIN(register_fn)"));
  test::TempDir d;
  std::string text = d.write("libtext.so", std::string(200, 'x'));
  CHECK_THAT(load_error(text), Contains("cannot load plugin '" + text + "': ") && Contains("ELF"));
  CHECK_THAT(load_error(d.path() + "/libnone.so"),
             Contains("cannot load plugin '" + d.path() + "/libnone.so': no such file"));
  CHECK_THAT(load_error(d.path()), Contains("not a regular file"));
}

TEST_CASE("plugin: a failing or clashing registration leaves nothing behind", "[plugin]") {
  CHECK_THAT(load_error(fixture("fails")), Contains("failed to register: licence file missing"));
  CHECK(plugin::window_samplers().find("fixture_fine") == nullptr);
  CHECK_THAT(
      load_error(fixture("clash")),
      Contains("failed to register: window sampler 'regular' is already registered (built in)"));
  CHECK(plugin::window_samplers().find("fixture_fine") == nullptr);
  CHECK(plugin::window_samplers().find("regular")->origin == "built in");
}

TEST_CASE("plugin: `plugins:` entries load before the steps are read; errors at the entry",
          "[plugin][config]") {
  test::TempDir d;
  fs::create_directories(d.path() + "/lib");
  fs::create_symlink(hython(), d.path() + "/lib/libitwin_hython.so");
  const std::string steps =
      "pipelines:\n"
      "  training:\n"
      "    steps:\n"
      "      - {name: data, type: dataset, format: netcdf, path: d.nc, dynamic: [temp, precip],\n"
      "         targets: [discharge], sampler: {name: low_flow, quantile: 0.1}, derived: "
      "[snowmelt]}\n";
  // Relative to the file that names it, not to the working directory.
  auto cfg =
      config::load_config(d.write("sub/p.yaml", "plugins: [../lib/libitwin_hython.so]\n" + steps));
  CHECK(cfg.plugins == std::vector<std::string>{fs::canonical(hython()).string()});
  CHECK(std::get<config::DatasetSpec>(cfg.pipelines[0].steps[0].spec).netcdf.sampler.options ==
        std::vector<std::pair<std::string, std::string>>{{"quantile", "0.1"}});

  auto err = [&](const std::string& yaml) {
    try {
      config::load_config(d.write("e.yaml", yaml));
    } catch (const ConfigError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  CHECK_THAT(err("plugins:\n  - " + fixture("version") + "\n" + steps),
             Contains(d.path() + "/e.yaml:2:5: plugin '") &&
                 Contains("built for itwin plugin API version 2"));
  CHECK_THAT(
      err("plugins: [lib/libnone.so]\n" + steps),
      Contains("e.yaml:1:11: cannot load plugin '" + d.path() + "/lib/libnone.so': no such file"));
  CHECK_THAT(err("plugins: {a: 1}\n" + steps), Contains("e.yaml:1:10: 'plugins' must be a list"));
  // Names from the plugin get did-you-mean and option checks like built-in ones.
  CHECK_THAT(err("plugins: [lib/libitwin_hython.so]\n" + steps.substr(0, steps.find("low_flow")) +
                 "low_flw" + steps.substr(steps.find("low_flow") + 8)),
             Contains("e.yaml:6:48: ") &&
                 Contains("unknown window sampler 'low_flw' (did you mean 'low_flow'?)"));
  std::string q = steps;
  q.replace(q.find("quantile: 0.1"), 13, "quantile: 2");
  CHECK_THAT(err("plugins: [lib/libitwin_hython.so]\n" + q),
             Contains("window sampler 'low_flow' (plugin ") &&
                 Contains("option 'quantile' must lie in (0, 1), got 2"));
  q = steps;
  q.replace(q.find("quantile: 0.1"), 13, "quantil: 0.1");
  CHECK_THAT(err("plugins: [lib/libitwin_hython.so]\n" + q),
             Contains("unknown key 'quantil'") && Contains("did you mean 'quantile'?"));
}
