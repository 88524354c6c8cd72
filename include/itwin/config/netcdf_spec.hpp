#pragma once
/// The typed spec of a `format: netcdf` data set: a datacube (time x
/// catchment x variable, plus static attributes) cut into sequence windows.
/// Plain data; docs/training.md documents every key.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "itwin/config/catalogs.hpp"

namespace itwin::config {

/// A component of a runtime registry (plugin/registry.hpp) as a pipeline
/// names it: `sampler: regular` or `{name: low_flow, quantile: 0.2}`; every
/// option the component declares, as text, defaults filled in.
struct ComponentUse {
  std::string name;
  std::vector<std::pair<std::string, std::string>> options;
};

/// One entry of `derived:`.
struct DerivedUse : ComponentUse {
  std::string as;  ///< the new variable's name (default: the component's)
  std::vector<std::pair<std::string, std::string>> inputs;  ///< role -> file variable
};

struct NetcdfSpec {
  std::string time_dim = "time";
  std::string space_dim = "catchment";
  std::vector<std::string> dynamic;  ///< [time, catchment] inputs
  std::vector<std::string> statics;  ///< [catchment] inputs (`static:`)
  std::vector<std::string> targets;  ///< [time, catchment]; NaN = missing
  std::vector<DerivedUse> derived;   ///< extra dynamic inputs computed from the file's variables
  int64_t seq_length = 30;           ///< input steps per window
  int64_t lag = 0;                   ///< target time - last input time
  int64_t stride = 1;                ///< validation/test windows and the `regular` sampler
  SplitBy split_by = SplitBy::Catchment;
  ComponentUse sampler{"regular", {}};  ///< the training split's windows
  NormalizeKind normalize_inputs = NormalizeKind::Standard;
  NormalizeKind normalize_targets = NormalizeKind::Standard;
};

}  // namespace itwin::config
