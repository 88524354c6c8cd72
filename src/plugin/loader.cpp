// Loading a plugin: dlopen, the version handshake, registration through a
// staging (all of a plugin's components or none).
#include <dlfcn.h>

#include <filesystem>
#include <mutex>

#include "host.hpp"
#include "itwin/plugin/registry.hpp"
#include "itwin/util/strings.hpp"

namespace fs = std::filesystem;

namespace itwin::plugin {
namespace {

std::string dl_error() {
  const char* e = dlerror();
  return e ? e : "unknown dlopen error";
}

// The entry point `symbol`, or an error saying what the file is missing.
void* entry_point(void* handle, const std::string& path, const char* symbol) {
  dlerror();
  void* f = dlsym(handle, symbol);
  if (!f) {
    dlclose(handle);
    throw PluginError("plugin '" + path + "' is not an itwin plugin: it exports no '" + symbol +
                      "' (define the entry points with ITWIN_PLUGIN(register_fn) from "
                      "<itwin/plugin/plugin.hpp>; see docs/plugins.md)");
  }
  return f;
}

}  // namespace

LoadedPlugin load_plugin(const std::string& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) throw PluginError("cannot load plugin '" + path + "': no such file");
  if (!fs::is_regular_file(path, ec))
    throw PluginError("cannot load plugin '" + path + "': not a regular file");
  const std::string canon = fs::canonical(path, ec).string();
  std::lock_guard<std::recursive_mutex> lock(registry_mutex());
  for (const auto& p : loaded_list())
    if (p.path == canon) return p;
  Staging st = staging_for(canon);  // also registers the built-ins, so clashes with them show

  // RTLD_LOCAL: two plugins may define the same helper symbols without clashing.
  void* handle = dlopen(canon.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle) throw PluginError("cannot load plugin '" + path + "': " + dl_error());
  auto version = reinterpret_cast<itwin_plugin_api_version_fn>(
      entry_point(handle, path, "itwin_plugin_api_version"));
  const uint32_t v = version();
  if (v != ITWIN_PLUGIN_API_VERSION) {
    dlclose(handle);
    throw PluginError("plugin '" + path + "' was built for itwin plugin API version " +
                      std::to_string(v) + ", but this itwin implements version " +
                      std::to_string(ITWIN_PLUGIN_API_VERSION) +
                      ": rebuild it against this itwin's headers (pkg-config --cflags itwin)");
  }
  auto reg = reinterpret_cast<itwin_plugin_register_fn>(
      entry_point(handle, path, "itwin_plugin_register"));
  itwin_host host = st.host();
  const int rc = reg(&host);
  if (rc != 0 || !st.failure.empty()) {
    dlclose(handle);
    throw PluginError(
        "plugin '" + path + "' failed to register: " +
        (st.failure.empty() ? "itwin_plugin_register returned " + std::to_string(rc) : st.failure));
  }
  if (st.new_samplers.empty() && st.new_derived.empty()) {
    dlclose(handle);
    throw PluginError("plugin '" + path + "' registered no components");
  }
  LoadedPlugin loaded{canon, {}, {}};
  for (const auto& s : st.new_samplers) loaded.samplers.push_back(s.name);
  for (const auto& d : st.new_derived) loaded.derived.push_back(d.name);
  st.commit();  // the handle stays open: the registries hold its function pointers
  loaded_list().push_back(loaded);
  return loaded;
}

}  // namespace itwin::plugin
