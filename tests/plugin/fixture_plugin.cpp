// Plugins that go wrong, one per FIXTURE_MODE (tests/meson.build builds each):
// a wrong API version, no entry points, a failing or clashing registration,
// and components that fail or misbehave when the data set calls them.
#include <itwin/plugin/plugin.hpp>

#define MODE_VERSION 1
#define MODE_NO_ENTRY 2
#define MODE_FAILS 3
#define MODE_CLASH 4
#define MODE_ROGUE 5

#if FIXTURE_MODE == MODE_NO_ENTRY

extern "C" __attribute__((visibility("default"))) int not_an_entry_point(void) { return 0; }

#elif FIXTURE_MODE == MODE_VERSION

extern "C" __attribute__((visibility("default"))) uint32_t itwin_plugin_api_version(void) {
  return ITWIN_PLUGIN_API_VERSION + 1;
}
extern "C" __attribute__((visibility("default"))) int itwin_plugin_register(const itwin_host*) {
  return 0;
}

#else

namespace {

// Each mode uses some of these.
[[maybe_unused]] int sample_all(const itwin_sampler_input* in, void* sink,
                                itwin_emit_window_fn emit, char*, size_t) {
  for (size_t i = 0; i < in->n_split_catchments; ++i)
    emit(sink, in->catchments[i], in->time_end - 1);
  return 0;
}

// Emits a catchment the cube does not have.
[[maybe_unused]] int sample_outside(const itwin_sampler_input* in, void* sink,
                                    itwin_emit_window_fn emit, char*, size_t) {
  emit(sink, in->n_catchments, in->time_end - 1);
  return 0;
}

[[maybe_unused]] int sample_fails(const itwin_sampler_input*, void*, itwin_emit_window_fn,
                                  char* error, size_t size) {
  return itwin::plugin_api::fail(error, size, "the gauge register is locked");
}

[[maybe_unused]] int compute_fails(const itwin_derived_input*, float*, char* error, size_t size) {
  return itwin::plugin_api::fail(error, size, "cannot derive without a snow map");
}

// Leaves its output NaN where the input is negative.
[[maybe_unused]] int compute_nan(const itwin_derived_input* in, float* out, char*, size_t) {
  for (int64_t i = 0; i < in->n_time * in->n_catchments; ++i)
    out[i] = in->inputs[0][i] < 0 ? __builtin_nanf("") : 1.0f;
  return 0;
}

[[maybe_unused]] const char* const kX[] = {"x"};

int register_fixture(const itwin_host* host) {
  [[maybe_unused]] static const itwin_window_sampler fine{
      "fixture_fine", "registered before the failure", nullptr, 0, nullptr, &sample_all};
#if FIXTURE_MODE == MODE_FAILS
  if (host->add_window_sampler(host->context, &fine) != 0) return 1;
  host->fail(host->context, "licence file missing");
  return 1;
#elif FIXTURE_MODE == MODE_CLASH
  static const itwin_window_sampler regular{"regular", "a second 'regular'", nullptr, 0,
                                            nullptr,   &sample_all};
  if (host->add_window_sampler(host->context, &fine) != 0) return 1;
  return host->add_window_sampler(host->context, &regular);
#else
  static const itwin_window_sampler outside{
      "rogue_outside", "emits a window outside the split", nullptr, 0, nullptr, &sample_outside};
  static const itwin_window_sampler fails{"rogue_fails", "always fails", nullptr, 0,
                                          nullptr,       &sample_fails};
  static const itwin_derived_variable dfail{"rogue_derived", "always fails", kX, 1, nullptr, 0,
                                            nullptr,         &compute_fails};
  static const itwin_derived_variable dnan{"rogue_nan", "NaN where x < 0", kX,          1, nullptr,
                                           0,           nullptr,           &compute_nan};
  if (host->add_window_sampler(host->context, &outside) != 0) return 1;
  if (host->add_window_sampler(host->context, &fails) != 0) return 1;
  if (host->add_derived_variable(host->context, &dfail) != 0) return 1;
  return host->add_derived_variable(host->context, &dnan);
#endif
}

}  // namespace

ITWIN_PLUGIN(register_fixture)

#endif
