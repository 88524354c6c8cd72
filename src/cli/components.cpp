// itwin components: every catalog of the pipeline file, from the catalogs themselves.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "itwin/config/catalogs.hpp"
#include "itwin/config/hpo_spec.hpp"
#include "itwin/config/slurm_spec.hpp"
#include "itwin/plugin/registry.hpp"
#include "setups.hpp"

namespace itwin::cli {
namespace {

struct ComponentsOptions {
  bool json = false, markdown = false;
  std::vector<std::string> plugins;
};

std::vector<config::CatalogView> everything(bool with_plugins) {
  auto all = config::all_catalogs();
  for (auto& c : config::hpo_catalogs()) all.push_back(std::move(c));  // the hpo: section's
  for (auto& v : plugin::registry_views(with_plugins)) all.push_back(std::move(v));
  config::CatalogView profiles{"slurm.profile", "Cluster profiles (built in)", {}};
  for (const auto& [name, description] : config::builtin_profile_summaries())
    profiles.items.emplace_back(name, description);
  all.push_back(profiles);
  return all;
}

int run_components(const ComponentsOptions& o) {
  for (const auto& p : o.plugins)
    plugin::load_plugin(p);  // their entries join the runtime registries
  const auto all = everything(!o.plugins.empty());
  if (o.json) {
    nlohmann::json j = nlohmann::json::object();
    for (const auto& c : all) {
      for (const auto& [name, summary] : c.items)
        j[c.key].push_back({{"name", name}, {"summary", summary}});
    }
    std::cout << j.dump(2) << "\n";
    return 0;
  }
  if (o.markdown) {  // the tables docs/config.md holds (tests compare them)
    std::cout << config::catalogs_markdown(all);
    return 0;
  }
  for (const auto& c : all) {
    std::printf("%s (%s):\n", c.title.c_str(), c.key.c_str());
    for (const auto& [name, summary] : c.items)
      std::printf("  %-16s %s\n", name.c_str(), summary.c_str());
  }
  return 0;
}

}  // namespace

Runner setup_components(CLI::App& cmd, const Invocation&) {
  auto o = std::make_shared<ComponentsOptions>();
  auto* json = cmd.add_flag("--json", o->json, "print JSON");
  cmd.add_flag("--markdown", o->markdown, "print the Markdown tables of docs/config.md")
      ->excludes(json);
  cmd.add_option("--plugin", o->plugins, "also list what this plugin library adds (repeatable)");
  return [o] { return run_components(*o); };
}

}  // namespace itwin::cli
