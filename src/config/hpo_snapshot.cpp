// A study's config snapshot and its best.yaml: the located tree as text.
#include <algorithm>

#include "itwin/config/hpo_spec.hpp"
#include "itwin/config/load.hpp"
#include "itwin/util/strings.hpp"

namespace itwin::config {

std::string snapshot_config(const std::string& path) { return to_yaml_unresolved(load_file(path)); }

std::string apply_to_snapshot(const std::string& text, const std::string& name,
                              const std::vector<std::string>& overrides,
                              const std::vector<std::string>& drop) {
  Node root = load_string(text, name);
  for (size_t i = 0; i < overrides.size(); ++i) {
    apply_override(root, overrides[i], static_cast<int>(i + 1));
  }
  auto& m = root.map;
  m.erase(std::remove_if(m.begin(), m.end(),
                         [&](const Entry& e) {
                           return std::find(drop.begin(), drop.end(), e.key) != drop.end();
                         }),
          m.end());
  return to_yaml_unresolved(root);
}

bool vars_path_exists(const std::string& text, const std::string& name, const std::string& path) {
  auto segs = split(path, '.');
  if (segs.empty() || segs.front() != "vars") return true;
  Node root = load_string(text, name);
  const Node* cur = &root;
  for (const auto& s : segs) {
    if (cur->is_map()) {
      cur = cur->find(s);
    } else if (cur->is_seq()) {
      char* end = nullptr;
      long i = std::strtol(s.c_str(), &end, 10);
      if (s.empty() || *end != '\0' || i < 0 || static_cast<size_t>(i) >= cur->seq.size())
        return false;
      cur = &cur->seq[static_cast<size_t>(i)];
    } else {
      return false;
    }
    if (!cur) return false;
  }
  return true;
}

}  // namespace itwin::config
