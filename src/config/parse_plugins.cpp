// The top-level `plugins:` list: each library is loaded (plugin/registry.hpp)
// before the pipelines are parsed, so their steps can name what it adds.
#include <filesystem>

#include "itwin/config/reader.hpp"
#include "itwin/plugin/registry.hpp"
#include "itwin/util/error.hpp"
#include "parse_steps.hpp"

namespace itwin::config {

std::vector<std::string> parse_plugins(Reader& top) {
  std::vector<std::string> loaded;
  const Node* n = top.raw("plugins");
  if (!n || n->is_null()) return loaded;
  std::vector<const Node*> items;
  if (n->is_scalar()) {
    items.push_back(n);
  } else if (n->is_seq()) {
    for (const auto& c : n->seq) items.push_back(&c);
  } else {
    throw ConfigError(n->mark.str() + ": 'plugins' must be a list of plugin library paths");
  }
  for (const Node* item : items) {
    if (!item->is_scalar() || item->scalar.empty()) {
      throw ConfigError(item->mark.str() + ": plugins: expected a library path, got " +
                        item->describe());
    }
    try {
      loaded.push_back(plugin::load_plugin(item->scalar).path);
    } catch (const plugin::PluginError& e) {
      throw ConfigError(item->mark.str() + ": " + e.what());
    }
  }
  return loaded;
}

}  // namespace itwin::config
