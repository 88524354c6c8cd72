#pragma once
// Test helpers: a catalog value by name and back, so tests read as the YAML does.

#include <stdexcept>
#include <string>

#include "itwin/config/catalogs.hpp"

namespace itwin::test {

/// The value named `n` in catalog `c` (throws when the test names no entry).
template <class E>
E by_name(const config::Catalog<E>& c, const std::string& n) {
  auto v = c.find(n);
  if (!v) throw std::invalid_argument("no '" + n + "' in catalog " + c.key());
  return *v;
}

inline std::string name(config::DataFormat v) { return config::data_format_catalog().name(v); }
inline std::string name(config::OptimizerKind v) { return config::optimizer_catalog().name(v); }
inline std::string name(config::LossKind v) { return config::loss_catalog().name(v); }
inline std::string name(config::StrategyKind v) { return config::strategy_catalog().name(v); }
inline std::string name(config::NormalizeKind v) { return config::normalize_catalog().name(v); }
inline std::string name(config::Mode v) { return config::mode_catalog().name(v); }
inline std::string name(config::PredictOutput v) {
  return config::predict_output_catalog().name(v);
}

/// Metric specs from names ("accuracy", "top3").
inline std::vector<config::MetricSpec> metrics(std::initializer_list<const char*> names) {
  std::vector<config::MetricSpec> out;
  for (const char* n : names) {
    config::MetricSpec m;
    if (!config::parse_metric(n, &m)) throw std::invalid_argument(std::string("no metric ") + n);
    out.push_back(m);
  }
  return out;
}

inline std::vector<std::string> metric_names(const std::vector<config::MetricSpec>& ms) {
  std::vector<std::string> out;
  for (const auto& m : ms) out.push_back(m.name());
  return out;
}

}  // namespace itwin::test
