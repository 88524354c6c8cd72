#pragma once
// The model registry's stores (internal to src/track): one factory per store
// behind RegistryStore, and what they share.

#include <memory>
#include <string>

#include "itwin/track/registry.hpp"

namespace itwin::track {

std::unique_ptr<RegistryStore> make_local_registry(const std::string& root);
std::unique_ptr<RegistryStore> make_mlflow_file_registry(const std::string& root);
/// Files live under `files_root` (a shared file system on a cluster); the
/// server holds the versions, with file:// sources pointing there.
std::unique_ptr<RegistryStore> make_mlflow_rest_registry(const std::string& uri, const std::string& files_root);

/// Copies the model files of `run_dir` (model.pt, model.ts.pt, config.yaml,
/// summary.json, provenance.json) into the new directory `dir`, each file
/// committed to disk, then makes them read-only.
void copy_model_files(const std::string& run_dir, const std::string& dir);

/// A metric value as a tag holds it (9 significant digits).
std::string metric_text(double v);

/// A directory name no other process uses now: PREFIX.tmp-<pid>-<random>.
std::string private_name(const std::string& prefix);

}  // namespace itwin::track
