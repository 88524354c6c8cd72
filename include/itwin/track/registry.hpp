#pragma once
/// The model registry: named models with immutable, numbered versions and
/// movable aliases (staging, production, ...). One interface, three stores:
///   - itwin's local registry directory (the default, <state dir>/registry):
///       <root>/<name>/versions/<N>/{model.pt, model.ts.pt?, config.yaml, meta.json}
///       <root>/<name>/aliases.json
///   - an MLflow file store (what `mlflow ui --backend-store-uri DIR` shows
///     under Models): DIR/models/<name>/{meta.yaml, aliases/, version-<N>/}
///   - an MLflow tracking server, over its REST API.
/// Every store keeps an immutable copy of the model files; a version is
/// assembled aside and renamed into place (or, on a server, created only
/// once its files are complete), so a registration is all or nothing and an
/// existing version is never replaced.

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "itwin/track/sink.hpp"

namespace itwin::track {

struct ModelVersion {
  std::string name;
  int version = 0;
  std::string dir;  ///< the directory holding the version's model files (a server: its source URI)
  std::string source_run;  ///< run directory it came from
  std::string run_id;      ///< the MLflow run it came from, when the store knows it
  double created = 0;
  std::map<std::string, double> metrics;  ///< the run's final metrics
  std::vector<std::string> aliases;
};

/// What a registration records besides the files.
struct VersionSource {
  std::string run_dir;  ///< absolute
  std::map<std::string, double> metrics;
  TrackedRun mlflow;  ///< the run's MLflow run (kind empty when it had none)
};

/// The plug-in point: where versions live.
class RegistryStore {
 public:
  virtual ~RegistryStore() = default;
  /// "local registry PATH", "MLflow file store PATH", "MLflow server URI".
  virtual std::string describe() const = 0;
  /// Copies the model files of `src.run_dir` into the next version of `name`.
  virtual ModelVersion add(const std::string& name, const VersionSource& src) = 0;
  virtual std::vector<std::string> names() const = 0;
  virtual std::vector<int> versions(const std::string& name) const = 0;  ///< ascending
  virtual ModelVersion get(const std::string& name, int version) const = 0;
  virtual std::map<std::string, int> aliases(const std::string& name) const = 0;
  virtual void set_alias(const std::string& name, const std::string& alias, int version) = 0;
  virtual void remove_alias(const std::string& name, const std::string& alias) = 0;
  /// `v` with `dir` a local directory holding its files (a server's version
  /// is downloaded once into a cache and checked); local stores return `v`.
  virtual ModelVersion with_local_files(const ModelVersion& v) const { return v; }
};

/// The registry `uri` names; empty: ITWIN_REGISTRY, else MLFLOW_REGISTRY_URI,
/// else MLFLOW_TRACKING_URI, else the local registry directory.
///   PATH                        itwin's local registry (ITWIN_REGISTRY, --registry)
///   mlflow:PATH | file://PATH   an MLflow file store
///   http://... | https://...    an MLflow tracking server
/// (In the MLFLOW_* variables a plain PATH is an MLflow file store, as in MLflow.)
std::unique_ptr<RegistryStore> open_registry(const std::string& uri = "");

/// Registers the model of run directory `run_dir` as the next version of `name`.
ModelVersion register_model(RegistryStore& store, const std::string& run_dir,
                            const std::string& name);

/// All model names with their versions.
std::map<std::string, std::vector<ModelVersion>> list_models(const RegistryStore& store);

/// NAME, NAME@VERSION, NAME@ALIAS, NAME@latest; or models:/NAME/VERSION|ALIAS|latest.
ModelVersion resolve_model(const RegistryStore& store, const std::string& ref);
/// The same in the registry open_registry() picks, with its files local
/// (what a pipeline loads).
ModelVersion resolve_model(const std::string& ref);

/// Points `alias` at `version` of `name` (moving it from another version).
void set_alias(RegistryStore& store, const std::string& name, int version,
               const std::string& alias);
void remove_alias(RegistryStore& store, const std::string& name, const std::string& alias);

}  // namespace itwin::track
