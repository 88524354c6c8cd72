#include "mlflow_meta.hpp"

#include <yaml-cpp/yaml.h>

#include "itwin/util/error.hpp"
#include "itwin/util/fs.hpp"

namespace itwin::track {
namespace {

YAML::Node load(const std::string& path) {
  YAML::Node root;
  try {
    root = YAML::Load(read_file(path));
  } catch (const YAML::Exception& e) {
    throw RuntimeError(path + ": not an MLflow meta.yaml: " + e.msg);
  }
  if (!root.IsMap()) throw RuntimeError(path + ": not an MLflow meta.yaml (not a map of fields)");
  return root;
}

}  // namespace

std::map<std::string, std::string> read_mlflow_meta(const std::string& path) {
  std::map<std::string, std::string> out;
  for (const auto& kv : load(path)) {
    if (!kv.first.IsScalar()) continue;
    if (kv.second.IsNull())
      out[kv.first.Scalar()] = "";
    else if (kv.second.IsScalar())
      out[kv.first.Scalar()] = kv.second.Scalar();
  }
  return out;
}

void update_mlflow_meta(const std::string& path, const std::map<std::string, int64_t>& fields) {
  YAML::Node root = load(path);
  for (const auto& [k, v] : fields) root[k] = v;
  YAML::Emitter out;
  out.SetNullFormat(YAML::LowerNull);  // `null`, as MLflow (PyYAML) writes it
  out << root;
  write_file_atomic(path, std::string(out.c_str()) + "\n");
}

}  // namespace itwin::track
