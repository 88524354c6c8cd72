#pragma once
// Internal to src/plugin: what registers components into the registries.
// A plugin's (or the built-ins') registration goes into a Staging first and
// reaches the registries only when all of it succeeded, so a plugin that
// fails halfway leaves nothing behind.

#include <mutex>
#include <string>
#include <vector>

#include "itwin/plugin/registry.hpp"

namespace itwin::plugin {

struct Staging {
  Staging(Registry<WindowSampler>* s, Registry<DerivedVariable>* d, std::string origin);
  /// The itwin_host whose calls add to this staging.
  itwin_host host();
  /// Moves what was staged into the registries.
  void commit();

  Registry<WindowSampler>* samplers;
  Registry<DerivedVariable>* derived;
  std::string origin;
  std::string failure;  ///< the first reason registration failed
  std::vector<WindowSampler> new_samplers;
  std::vector<DerivedVariable> new_derived;
};

/// A staging for the process-wide registries.
Staging staging_for(const std::string& origin);
/// Guards loading (the registries and the loaded list).
std::recursive_mutex& registry_mutex();
std::vector<LoadedPlugin>& loaded_list();

/// The built-in samplers and derived variables (builtin.cpp), registered
/// through the plugin interface like any plugin's.
int register_builtins(const itwin_host* host);

}  // namespace itwin::plugin
