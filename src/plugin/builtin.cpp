// The built-in window sampler and derived variable, written against the
// plugin interface exactly as a plugin's are (use-cases/drought/plugin/).
#include <cmath>
#include <vector>

#include "host.hpp"

namespace itwin::plugin {
namespace {

using plugin_api::fail;

// The first target time a window may have: its inputs start at time 0 or later.
int64_t first_time(const itwin_sampler_input* in) {
  int64_t t = in->seq_length - 1 + in->lag;
  return t > in->time_begin ? t : in->time_begin;
}

int regular_sample(const itwin_sampler_input* in, void* sink, itwin_emit_window_fn emit, char*,
                   size_t) {
  for (size_t i = 0; i < in->n_split_catchments; ++i) {
    for (int64_t t = first_time(in); t < in->time_end; t += in->stride)
      emit(sink, in->catchments[i], t);
  }
  return 0;
}

const itwin_option_decl kRollingOptions[] = {
    {"window", "30",
     "steps averaged, the current one included (fewer at the start of the series)"}};

int rolling_check(const itwin_options* o, char* error, size_t size) {
  double w = 0;
  if (!plugin_api::option_double(o, "window", &w, error, size)) return 1;
  if (w < 1 || w != std::floor(w) || w > 1e6)
    return fail(error, size, "option 'window' must be an integer >= 1");
  return 0;
}

int rolling_compute(const itwin_derived_input* in, float* out, char* error, size_t size) {
  double w = 0;
  if (!plugin_api::option_double(in->options, "window", &w, error, size)) return 1;
  const auto window = static_cast<int64_t>(w);
  const int64_t nt = in->n_time, nc = in->n_catchments;
  const float* x = in->inputs[0];
  std::vector<double> sum(static_cast<size_t>(nc),
                          0.0);  // running sums in double: no drift over decades
  for (int64_t t = 0; t < nt; ++t) {
    for (int64_t c = 0; c < nc; ++c) {
      double& s = sum[static_cast<size_t>(c)];
      s += x[t * nc + c];
      if (t >= window) s -= x[(t - window) * nc + c];
      const int64_t n = t + 1 < window ? t + 1 : window;
      out[t * nc + c] = static_cast<float>(s / static_cast<double>(n));
    }
  }
  return 0;
}

const char* const kRollingInputs[] = {"x"};

}  // namespace

int register_builtins(const itwin_host* host) {
  static const itwin_window_sampler regular{
      "regular",
      "every `stride`-th window of each catchment, from the first whose inputs all lie in the file",
      nullptr,
      0,
      nullptr,
      &regular_sample};
  static const itwin_derived_variable rolling{
      "rolling_mean",  "the mean of input `x` over the last `window` steps (antecedent conditions)",
      kRollingInputs,  1,
      kRollingOptions, 1,
      &rolling_check,  &rolling_compute};
  if (host->add_window_sampler(host->context, &regular) != 0) return 1;
  return host->add_derived_variable(host->context, &rolling);
}

}  // namespace itwin::plugin
