#pragma once
/// The model registry: named models with immutable, numbered versions and
/// movable aliases (staging, production, ...), in a local directory
/// ($ITWIN_REGISTRY, default <state dir>/registry):
///   <root>/<name>/versions/<N>/{model.pt, model.ts.pt?, config.yaml, meta.json}
///   <root>/<name>/aliases.json
/// A version is assembled in a temp directory and renamed into place, so a
/// registration is all or nothing, and an existing version is never replaced.

#include <map>
#include <string>
#include <vector>

namespace itwin::track {

struct ModelVersion {
  std::string name;
  int version = 0;
  std::string dir;                         ///< the version directory
  std::string source_run;                  ///< run directory it came from
  double created = 0;
  std::map<std::string, double> metrics;   ///< the run's final metrics
  std::vector<std::string> aliases;
};

std::string registry_root();

/// Registers the model of run directory `run_dir` as the next version of `name`.
ModelVersion register_model(const std::string& run_dir, const std::string& name);

/// All model names with their versions.
std::map<std::string, std::vector<ModelVersion>> list_models();

/// NAME, NAME@VERSION, NAME@ALIAS, NAME@latest; or models:/NAME/VERSION|ALIAS|latest.
ModelVersion resolve_model(const std::string& ref);

/// Points `alias` at `version` of `name` (moving it from another version).
void set_alias(const std::string& name, int version, const std::string& alias);
void remove_alias(const std::string& name, const std::string& alias);

}  // namespace itwin::track
