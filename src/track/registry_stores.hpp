#pragma once
// The model registry's stores (internal to src/track): one factory per store
// behind RegistryStore, and what they share.

#include <memory>
#include <string>

#include "itwin/track/registry.hpp"

namespace itwin::track {

std::unique_ptr<RegistryStore> make_local_registry(const std::string& root);
std::unique_ptr<RegistryStore> make_mlflow_file_registry(const std::string& root);
/// The server holds the versions; their files are the artifacts of an MLflow
/// run on it (runs:/RUN_ID/PATH). Versions loaded for a pipeline are
/// downloaded once into `cache_root`.
std::unique_ptr<RegistryStore> make_mlflow_rest_registry(const std::string& uri,
                                                         const std::string& cache_root);

/// Copies the model files of `run_dir` (model.pt, model.ts.pt, config.yaml,
/// summary.json, provenance.json) into the new directory `dir`, each file
/// committed to disk, then makes them read-only.
void copy_model_files(const std::string& run_dir, const std::string& dir);

/// Throws UsageError unless `alias` is one MLflow accepts (letters, digits,
/// '_', '-'; not 'latest' nor a version like 3 or v3).
void check_alias(const std::string& alias);

/// A metric value as a tag holds it (9 significant digits).
std::string metric_text(double v);

/// A directory name no other process uses now: PREFIX.tmp-<pid>-<random>.
std::string private_name(const std::string& prefix);

}  // namespace itwin::track
