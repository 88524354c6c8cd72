#pragma once
/// The `monitor:` section of a pipeline file: the hardware monitor's
/// interval and the carbon intensity that turns its energy into CO2e.
/// docs/config.md documents the keys.

#include <string>

namespace itwin::config {

class Reader;

/// Grams of CO2-equivalent per kWh when neither the run nor the cluster
/// profile gives one: the world average of the IEA's Global Energy & CO2
/// Status Report 2019 (CodeCarbon's fallback too).
constexpr double kDefaultCarbonIntensity = 475.0;

struct MonitorSpec {
  bool enabled = true;    ///< sample GPUs, CPU, memory and energy during training
  double interval = 1.0;  ///< seconds between samples
  double carbon_intensity = kDefaultCarbonIntensity;  ///< g CO2e per kWh
  /// Where carbon_intensity came from: run (this section) | profile (the cluster
  /// profile's `carbon_intensity`) | default.
  std::string carbon_intensity_source = "default";
};

/// Reads `monitor:`; `profile_carbon_intensity` (> 0) is the cluster
/// profile's value, used when the section gives none.
MonitorSpec parse_monitor(Reader& r, double profile_carbon_intensity);

}  // namespace itwin::config
