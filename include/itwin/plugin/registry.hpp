#pragma once
/// The runtime registries of the plug-in points that plugins extend: window
/// samplers and derived variables of the `netcdf` data set. Unlike the
/// compile-time catalogs (config/catalogs.hpp), these grow while the process
/// runs: the built-in entries are there from the start, and each plugin a
/// pipeline file names in `plugins:` adds its own when it is loaded. The
/// config parser validates names against them (with did-you-mean), `itwin
/// components` lists them, and the data set calls through them. Torch-free.

#include <cstdint>
#include <string>
#include <vector>

#include "itwin/config/catalog.hpp"
#include "itwin/plugin/plugin.hpp"
#include "itwin/util/error.hpp"

namespace itwin::plugin {

struct OptionDecl {
  std::string name;
  std::string default_value;
  bool required = false;
  std::string summary;
};

/// What every registered component has.
struct Component {
  std::string name;
  std::string summary;
  std::string origin;  ///< "built in" or the plugin file it came from
  std::vector<OptionDecl> options;
  itwin_check_options_fn check = nullptr;

  /// `what` of messages: "window sampler 'low_flow' (plugin /x/libh.so)".
  std::string describe(const char* kind) const;
};

struct WindowSampler : Component {
  decltype(itwin_window_sampler::sample) sample = nullptr;
};

struct DerivedVariable : Component {
  std::vector<std::string> inputs;  ///< roles; each defaults to the file variable of that name
  decltype(itwin_derived_variable::compute) compute = nullptr;
};

/// One registry: entries in registration order (built-ins first).
template <class T>
class Registry {
 public:
  explicit Registry(const char* key) : key_(key) {}
  const char* key() const { return key_; }  ///< the config key naming entries, e.g. "sampler"
  const T* find(const std::string& name) const {
    for (const auto& e : entries_)
      if (e.name == name) return &e;
    return nullptr;
  }
  std::vector<std::string> names() const {
    std::vector<std::string> v;
    for (const auto& e : entries_) v.push_back(e.name);
    return v;
  }
  const std::vector<T>& entries() const { return entries_; }
  void add(T e) { entries_.push_back(std::move(e)); }

 private:
  const char* key_;
  std::vector<T> entries_;
};

/// The process-wide registries (built-ins registered on first use). Entries
/// are only added, never removed; references stay valid while nothing is
/// being loaded. Not for concurrent use with load_plugin().
Registry<WindowSampler>& window_samplers();
Registry<DerivedVariable>& derived_variables();

/// A loaded plugin: its file (canonical path) and what it added.
struct LoadedPlugin {
  std::string path;
  std::vector<std::string> samplers, derived;
};

/// Loads the plugin at `path` (once per process and file: loading it again
/// returns what it added the first time). Throws PluginError when the file is
/// missing or not loadable, is no itwin plugin (a missing entry point), was
/// built for another API version, fails to register, or registers a name
/// that is taken; nothing it registered stays then.
LoadedPlugin load_plugin(const std::string& path);

/// The plugins loaded so far, in load order.
std::vector<LoadedPlugin> loaded_plugins();

/// A plugin that cannot be used: bad input (exit 2); the config adds the
/// `plugins:` entry's file:line.
class PluginError : public Error {
 public:
  explicit PluginError(const std::string& what) : Error(what, kExitBadInput) {}
};

/// The built-in entries of both registries as catalog views (the tables of
/// docs/config.md and `itwin components`); with `all`, plugins' entries too.
std::vector<config::CatalogView> registry_views(bool all = false);

}  // namespace itwin::plugin
