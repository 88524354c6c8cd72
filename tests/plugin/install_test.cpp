// The documented way to build a plugin: out of tree, against an installed
// itwin found by pkg-config. The build tree is installed (headers and
// itwin.pc only: `--tags devel`) into a staging directory; the use case's
// plugin is configured and built there with its own meson.build, then loaded
// by the built itwin.
#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>

#include "../helpers.hpp"
#include "itwin/plugin/plugin.hpp"

using namespace itwin;
using Catch::Matchers::Contains;
namespace fs = std::filesystem;

TEST_CASE(
    "plugin install: meson install gives headers and itwin.pc; the use case's plugin builds out of "
    "tree and loads",
    "[plugin][install][slow]") {
  test::TempDir d;
  const std::string stage = d.path() + "/stage";
  auto r = test::run_shell("meson install -C " + std::string(std::getenv("ITWIN_BUILD_ROOT")) +
                           " --no-rebuild --tags devel --destdir " + stage);
  INFO(r.out);
  REQUIRE(r.exit_code == 0);
  std::string pc_dir;
  for (const auto& e : fs::recursive_directory_iterator(stage))
    if (e.path().filename() == "itwin.pc") pc_dir = e.path().parent_path().string();
  REQUIRE_FALSE(pc_dir.empty());
  // The staged tree holds no programs: only what a plugin build needs.
  for (const auto& e : fs::recursive_directory_iterator(stage)) {
    INFO(e.path());
    CHECK((e.is_directory() || e.path().extension() == ".hpp" || e.path().extension() == ".pc"));
  }

  // pkg-config finds it; PKG_CONFIG_SYSROOT_DIR maps its /usr/local/... into the staging tree.
  const std::string env = "PKG_CONFIG_PATH=" + pc_dir + " PKG_CONFIG_SYSROOT_DIR=" + stage + " ";
  r = test::run_shell(env + "pkg-config --cflags itwin && " + env +
                      "pkg-config --variable=plugin_api_version itwin");
  INFO(r.out);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Contains("-I" + stage + "/"));
  CHECK_THAT(r.out, Contains("\n" + std::to_string(ITWIN_PLUGIN_API_VERSION) + "\n"));

  const std::string build = d.path() + "/build-plugin";
  r = test::run_shell(env + "meson setup " + build + " " + test::source_root() +
                      "/use-cases/drought/plugin && " + "ninja -C " + build);
  INFO(r.out);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Contains("building against itwin plugin API version 1"));
  const std::string lib = build + "/libitwin_hython.so";
  REQUIRE(fs::exists(lib));
  r = test::run_shell("nm -D --defined-only " + lib + " | grep ' T '");
  CHECK_THAT(r.out, Contains("itwin_plugin_api_version") && Contains("itwin_plugin_register"));

  r = test::run_shell(test::itwin_bin() + " components --plugin " + lib);
  INFO(r.out);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Contains("low_flow") && Contains("snowmelt") && Contains("regular"));
  r = test::run_shell(test::itwin_bin() + " components");
  CHECK_THAT(r.out, Contains("rolling_mean"));
  CHECK_FALSE(r.out.find("low_flow") != std::string::npos);
}
