// itwin models: the model registry.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "itwin/track/registry.hpp"
#include "itwin/util/error.hpp"
#include "itwin/util/strings.hpp"
#include "setups.hpp"

namespace itwin::cli {
namespace {

struct ModelsOptions {
  std::string registry, run, name, ref, alias;
  int version = 0;
  bool json = false, remove = false;
};

nlohmann::json to_json(const track::ModelVersion& m) {
  return {{"name", m.name},       {"version", m.version},
          {"dir", m.dir},         {"source_run", m.source_run},
          {"run_id", m.run_id},   {"created", m.created},
          {"metrics", m.metrics}, {"aliases", m.aliases}};
}

}  // namespace

Runner setup_models(CLI::App& cmd, const Invocation&) {
  auto* models = &cmd;
  auto o = std::make_shared<ModelsOptions>();
  models->add_option(
      "--registry", o->registry,
      "where: DIR (itwin's registry), mlflow:DIR or file://DIR (an MLflow file store), "
      "http(s)://HOST "
      "(an MLflow server); default: ITWIN_REGISTRY, MLFLOW_REGISTRY_URI, MLFLOW_TRACKING_URI, "
      "else ~/.local/state/itwin/registry");
  auto* reg = models->add_subcommand("register",
                                     "register the model of a finished run as the next version");
  reg->add_option("run", o->run, "run directory")->required();
  reg->add_option("--name", o->name, "model name (default: the run directory's name)");
  reg->add_flag("--json", o->json, "print JSON");
  auto run_reg = [o]() -> int {
    std::string name = o->name.empty()
                           ? std::filesystem::path(o->run).lexically_normal().filename().string()
                           : o->name;
    auto store = track::open_registry(o->registry);
    auto m = track::register_model(*store, o->run, name);
    if (o->json)
      std::cout << to_json(m).dump(2) << "\n";
    else
      std::printf("registered %s version %d in the %s\n  files: %s\n  use it as: models:/%s/%d\n",
                  m.name.c_str(), m.version, store->describe().c_str(), m.dir.c_str(),
                  m.name.c_str(), m.version);
    return 0;
  };
  auto* list = models->add_subcommand("list", "every registered model and its versions");
  list->add_flag("--json", o->json, "print JSON");
  auto run_list = [o]() -> int {
    auto store = track::open_registry(o->registry);
    auto all = track::list_models(*store);
    if (o->json) {
      nlohmann::json j = nlohmann::json::object();
      for (const auto& [name, vs] : all)
        for (const auto& v : vs) j[name].push_back(to_json(v));
      std::cout << j.dump(2) << "\n";
      return 0;
    }
    std::printf("%-24s %7s  %-16s %-20s %s\n", "MODEL", "VERSION", "CREATED", "ALIASES",
                "FROM RUN");
    for (const auto& [name, vs] : all)
      for (const auto& v : vs)
        std::printf("%-24s %7d  %-16s %-20s %s\n", name.c_str(), v.version,
                    format_local_time(v.created).c_str(), join(v.aliases, ",").c_str(),
                    v.source_run.c_str());
    return 0;
  };
  auto* show = models->add_subcommand(
      "show", "one version: NAME, NAME@VERSION, NAME@ALIAS or models:/NAME/...");
  show->add_option("ref", o->ref, "model reference")->required();
  show->add_flag("--json", o->json, "print JSON");
  auto run_show = [o]() -> int {
    auto store = track::open_registry(o->registry);
    auto m = track::resolve_model(*store, o->ref);
    if (o->json) {
      std::cout << to_json(m).dump(2) << "\n";
      return 0;
    }
    std::printf("%s version %d%s\n  registry: %s\n  files:    %s\n  from run: %s\n", m.name.c_str(),
                m.version, m.aliases.empty() ? "" : (" (" + join(m.aliases, ", ") + ")").c_str(),
                store->describe().c_str(), m.dir.c_str(), m.source_run.c_str());
    if (!m.run_id.empty()) std::printf("  mlflow run: %s\n", m.run_id.c_str());
    std::printf("  created:  %s\n  metrics:\n", format_local_time(m.created).c_str());
    for (const auto& [k, v] : m.metrics) std::printf("    %-24s %.6g\n", k.c_str(), v);
    return 0;
  };
  auto* alias = models->add_subcommand(
      "alias", "point ALIAS (e.g. staging, production) at VERSION of NAME, or --remove it");
  alias->add_option("name", o->name, "model name")->required();
  alias->add_option("alias", o->alias, "alias")->required();
  alias->add_option("version", o->version, "version")->check(CLI::Range(1, 1 << 30));
  alias->add_flag("--remove", o->remove, "remove the alias");
  auto run_alias = [o]() -> int {
    if (o->remove) {
      auto store = track::open_registry(o->registry);
      track::remove_alias(*store, o->name, o->alias);
      std::printf("removed alias %s of %s\n", o->alias.c_str(), o->name.c_str());
      return 0;
    }
    if (o->version == 0)
      throw UsageError("give the VERSION the alias should point at (or --remove)");
    auto store = track::open_registry(o->registry);
    track::set_alias(*store, o->name, o->version, o->alias);
    std::printf("%s@%s -> version %d\n", o->name.c_str(), o->alias.c_str(), o->version);
    return 0;
  };
  return dispatch_sub(cmd,
                      {{reg, run_reg}, {list, run_list}, {show, run_show}, {alias, run_alias}});
}

}  // namespace itwin::cli
