#pragma once
// MLflow's meta.yaml files (experiments, runs, registered models, model
// versions), read and updated as YAML (internal to src/track): MLflow writes
// them with PyYAML (`name: shared-exp`), itwin quotes (`name: 'shared-exp'`);
// both spellings, and any other a YAML writer may choose, mean the same.

#include <cstdint>
#include <map>
#include <string>

namespace itwin::track {

/// The top-level scalar fields of the meta.yaml at `path` as text (a YAML
/// null is ""); lists and maps are left out. RuntimeError naming the file
/// when it cannot be read or is not a YAML map.
std::map<std::string, std::string> read_mlflow_meta(const std::string& path);

/// Sets top-level integer fields (timestamps) of the meta.yaml at `path`,
/// keeping every other field as it is; written atomically.
void update_mlflow_meta(const std::string& path, const std::map<std::string, int64_t>& fields);

}  // namespace itwin::track
