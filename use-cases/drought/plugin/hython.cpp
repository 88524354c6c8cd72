// The drought use case's own data preparation as an itwin plugin, like
// itwinai's hython plugin: two window samplers and a derived variable for
// `format: netcdf` data sets. Built out of tree against the installed itwin
// (see meson.build here and docs/plugins.md); needs nothing but the header.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <exception>
#include <itwin/plugin/plugin.hpp>
#include <vector>

namespace {

using itwin::plugin_api::fail;
using itwin::plugin_api::option_double;

// Plugin functions must not let an exception reach itwin (a C caller).
template <class F>
int guarded(char* error, size_t size, F&& f) {
  try {
    return f();
  } catch (const std::exception& e) {
    return fail(error, size, "%s", e.what());
  }
}

int64_t first_time(const itwin_sampler_input* in) {
  return std::max(in->time_begin, in->seq_length - 1 + in->lag);
}

// --- low_flow: every window of a drought, every stride-th of the rest --------

const itwin_option_decl kLowFlowOptions[] = {
    {"quantile", "0.2",
     "a window is an event when its target is at or below this quantile of its catchment"},
};

int low_flow_check(const itwin_options* o, char* error, size_t size) {
  double q = 0;
  if (!option_double(o, "quantile", &q, error, size)) return 1;
  if (!(q > 0 && q < 1))
    return fail(error, size, "option 'quantile' must lie in (0, 1), got %g", q);
  return 0;
}

int low_flow_sample(const itwin_sampler_input* in, void* sink, itwin_emit_window_fn emit,
                    char* error, size_t size) {
  return guarded(error, size, [&] {
    double q = 0;
    if (!option_double(in->options, "quantile", &q, error, size)) return 1;
    const float* y = in->targets[0];  // the first target decides what a drought is
    std::vector<float> values;
    for (size_t i = 0; i < in->n_split_catchments; ++i) {
      const int64_t c = in->catchments[i];
      values.clear();
      for (int64_t t = in->time_begin; t < in->time_end; ++t) {
        const float v = y[t * in->n_catchments + c];
        if (!std::isnan(v)) values.push_back(v);
      }
      if (values.empty()) continue;
      auto k = static_cast<size_t>(q * static_cast<double>(values.size() - 1));
      std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(k),
                       values.end());
      const float threshold = values[k];
      const int64_t t0 = first_time(in);
      for (int64_t t = t0; t < in->time_end; ++t) {
        const float v = y[t * in->n_catchments + c];
        if (v <= threshold || (t - t0) % in->stride == 0) emit(sink, c, t);
      }
    }
    return 0;
  });
}

// --- random: a seeded fraction of the windows (hython's RandomDownsampler) ---

const itwin_option_decl kRandomOptions[] = {
    {"fraction", "0.1",
     "the share of the split's windows kept, drawn anew for each catchment and time"},
};

int random_check(const itwin_options* o, char* error, size_t size) {
  double f = 0;
  if (!option_double(o, "fraction", &f, error, size)) return 1;
  if (!(f > 0 && f <= 1))
    return fail(error, size, "option 'fraction' must lie in (0, 1], got %g", f);
  return 0;
}

uint64_t splitmix(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

int random_sample(const itwin_sampler_input* in, void* sink, itwin_emit_window_fn emit, char* error,
                  size_t size) {
  double f = 0;
  if (!option_double(in->options, "fraction", &f, error, size)) return 1;
  // A hash of (seed, catchment, time): the same windows whatever the split's order.
  for (size_t i = 0; i < in->n_split_catchments; ++i) {
    const int64_t c = in->catchments[i];
    for (int64_t t = first_time(in); t < in->time_end; ++t) {
      const uint64_t h =
          splitmix(in->seed ^ splitmix(static_cast<uint64_t>(c) << 32 ^ static_cast<uint64_t>(t)));
      if (static_cast<double>(h >> 11) * 0x1.0p-53 < f) emit(sink, c, t);  // uniform in [0, 1)
    }
  }
  return 0;
}

// --- snowmelt: a degree-day snow pack per catchment --------------------------

const itwin_option_decl kSnowOptions[] = {
    {"threshold", "0.0", "degC below which precipitation falls as snow and above which snow melts"},
    {"ddf", "3.0", "degree-day factor, mm of melt per degC above the threshold and day"},
};
const char* const kSnowInputs[] = {"temp", "precip"};

int snow_check(const itwin_options* o, char* error, size_t size) {
  double ddf = 0, thr = 0;
  if (!option_double(o, "ddf", &ddf, error, size) ||
      !option_double(o, "threshold", &thr, error, size))
    return 1;
  if (!(ddf > 0)) return fail(error, size, "option 'ddf' must be > 0, got %g", ddf);
  return 0;
}

int snow_compute(const itwin_derived_input* in, float* out, char* error, size_t size) {
  return guarded(error, size, [&] {
    double ddf = 0, thr = 0;
    if (!option_double(in->options, "ddf", &ddf, error, size)) return 1;
    if (!option_double(in->options, "threshold", &thr, error, size)) return 1;
    const float* temp = in->inputs[0];
    const float* precip = in->inputs[1];
    std::vector<double> pack(static_cast<size_t>(in->n_catchments),
                             0.0);  // snow water equivalent, mm
    for (int64_t t = 0; t < in->n_time; ++t) {
      for (int64_t c = 0; c < in->n_catchments; ++c) {
        const int64_t i = t * in->n_catchments + c;
        double& swe = pack[static_cast<size_t>(c)];
        if (temp[i] < thr) swe += std::max(0.0f, precip[i]);
        const double melt = std::min(swe, ddf * std::max(0.0, temp[i] - thr));
        swe -= melt;
        out[i] = static_cast<float>(melt);
      }
    }
    return 0;
  });
}

int register_hython(const itwin_host* host) {
  static const itwin_window_sampler low_flow{
      "low_flow",
      "every window whose target is in its catchment's low tail (droughts), every stride-th other",
      kLowFlowOptions,
      1,
      &low_flow_check,
      &low_flow_sample};
  static const itwin_window_sampler random{
      "random",       "a seeded random fraction of the windows (hython's RandomDownsampler)",
      kRandomOptions, 1,
      &random_check,  &random_sample};
  static const itwin_derived_variable snowmelt{
      "snowmelt",
      "daily melt of a degree-day snow pack fed by precipitation below the threshold (mm/day)",
      kSnowInputs,
      2,
      kSnowOptions,
      2,
      &snow_check,
      &snow_compute};
  if (host->add_window_sampler(host->context, &low_flow) != 0) return 1;
  if (host->add_window_sampler(host->context, &random) != 0) return 1;
  return host->add_derived_variable(host->context, &snowmelt);
}

}  // namespace

ITWIN_PLUGIN(register_hython)
