// The `monitor:` section.
#include "itwin/config/monitor_spec.hpp"
#include "itwin/config/reader.hpp"

namespace itwin::config {

MonitorSpec parse_monitor(Reader& r, double profile_carbon_intensity) {
  MonitorSpec m;
  m.enabled = r.get_bool("enabled", m.enabled);
  // Below 0.05 s the sampler itself would show up in the CPU numbers.
  m.interval = r.get_double("interval", m.interval, 0.05, 3600.0);
  double fallback = m.carbon_intensity;
  if (profile_carbon_intensity > 0) {
    fallback = profile_carbon_intensity;
    m.carbon_intensity_source = "profile";
  }
  if (r.has("carbon_intensity")) m.carbon_intensity_source = "run";
  // 0 is allowed: a site on its own renewable supply may report none.
  m.carbon_intensity = r.get_double("carbon_intensity", fallback, 0.0, 5000.0);
  r.finish();
  return m;
}

}  // namespace itwin::config
