#pragma once
/// The itwin plugin interface: what a shared library built out of tree
/// against an installed itwin (`pkg-config --cflags itwin`) implements to add
/// components to a pipeline file's runtime registries. docs/plugins.md is the
/// guide; use-cases/drought/plugin/ is a complete example.
///
/// The interface is plain C (structs of numbers, strings and function
/// pointers), so a plugin needs no itwin library to link against and no C++
/// type crosses the boundary: a plugin compiled by another compiler, or
/// against another C++ standard library, still loads. It is versioned as a
/// whole: any change to a struct below increments ITWIN_PLUGIN_API_VERSION,
/// and itwin refuses a plugin built for another version (a clear error at
/// the `plugins:` entry, exit 2) instead of calling into a wrong layout.
///
/// A plugin exports two functions, both defined by ITWIN_PLUGIN(...):
///   uint32_t itwin_plugin_api_version(void);        // ITWIN_PLUGIN_API_VERSION it was built with
///   int itwin_plugin_register(const itwin_host* h); // adds its components; 0 = ok
/// Register copies every name, summary and option; function pointers must
/// stay valid while the process runs (itwin never unloads a plugin).
/// Plugin functions must not throw or call exit(): they report a failure by
/// returning non-zero with a message in `error` (itwin names the component,
/// the plugin and the data set around it).
/// Calls come from one thread at a time.

#include <stddef.h>
#include <stdint.h>

#define ITWIN_PLUGIN_API_VERSION 1u

#ifdef __cplusplus
extern "C" {
#endif

/// The options of one use of a component, as the pipeline file wrote them:
/// every option the component declares, in declaration order, as text (the
/// declared default when the file leaves it out).
typedef struct itwin_options {
  size_t count;
  const char* const* keys;
  const char* const* values;
} itwin_options;

/// One option a component accepts (`name: value` next to the component's
/// name in the file). Names `name`, `as` and `inputs` are reserved.
typedef struct itwin_option_decl {
  const char* name;
  const char* default_value;  ///< NULL: the option is required
  const char* summary;
} itwin_option_decl;

/// Checks option values when the pipeline file is read (before anything
/// runs); returns 0 when they are fine, else writes a message to `error`.
typedef int (*itwin_check_options_fn)(const itwin_options* options, char* error, size_t error_size);

/// Arrays of a datacube are float32, time-major: value (t, c) of an array
/// `a` is a[t * n_catchments + c]; NaN is a missing value.
typedef struct itwin_sampler_input {
  int64_t n_time;        ///< time steps of the whole cube
  int64_t n_catchments;  ///< catchments of the whole cube
  int64_t seq_length;    ///< input steps per window
  int64_t lag;           ///< target time - last input time
  int64_t stride;        ///< the data set's `stride`
  int64_t time_begin;    ///< target times this split may use: [time_begin, time_end)
  int64_t time_end;
  const int64_t* catchments;  ///< catchments of this split (indices into the cube)
  size_t n_split_catchments;
  size_t n_targets;  ///< the data set's `targets`, in physical units
  const char* const* target_names;
  const float* const* targets;
  const itwin_options* options;
  uint64_t seed;  ///< run.seed: a random sampler draws from it, so runs repeat
} itwin_sampler_input;

/// Adds the window of `catchment` whose target lies at time `time`: inputs
/// are the seq_length steps ending at time - lag. Emitting a window twice
/// samples it twice per epoch.
typedef void (*itwin_emit_window_fn)(void* sink, int64_t catchment, int64_t time);

/// A window sampler: which (catchment, target time) windows the training
/// split uses. itwin drops windows whose target is missing afterwards, and
/// rejects windows outside the split.
typedef struct itwin_window_sampler {
  const char* name;
  const char* summary;  ///< one line, for `itwin components` and the docs
  const itwin_option_decl* options;
  size_t n_options;
  itwin_check_options_fn check;  ///< may be NULL
  int (*sample)(const itwin_sampler_input* in, void* sink, itwin_emit_window_fn emit, char* error,
                size_t error_size);
} itwin_window_sampler;

typedef struct itwin_derived_input {
  int64_t n_time;
  int64_t n_catchments;
  size_t n_inputs;                 ///< as the variable declares them
  const char* const* input_names;  ///< the file's variables the pipeline mapped them to
  const float* const* inputs;      ///< physical units, time-major
  const itwin_options* options;
} itwin_derived_input;

/// A derived variable: a new dynamic input computed from variables of the
/// file (snowmelt from temperature and precipitation, an aridity index...).
/// `inputs` are its roles; each defaults to the file variable of that name,
/// and a pipeline maps them to others with `inputs: {role: variable}`.
typedef struct itwin_derived_variable {
  const char* name;
  const char* summary;
  const char* const* inputs;
  size_t n_inputs;
  const itwin_option_decl* options;
  size_t n_options;
  itwin_check_options_fn check;  ///< may be NULL
  /// Writes n_time * n_catchments values to `out` (time-major).
  int (*compute)(const itwin_derived_input* in, float* out, char* error, size_t error_size);
} itwin_derived_variable;

/// What itwin hands to itwin_plugin_register. The add functions return 0, or
/// non-zero when the component is malformed or its name is taken (itwin
/// then reports why and refuses the whole plugin).
typedef struct itwin_host {
  uint32_t api_version;  ///< the host's ITWIN_PLUGIN_API_VERSION
  void* context;
  int (*add_window_sampler)(void* context, const itwin_window_sampler* sampler);
  int (*add_derived_variable)(void* context, const itwin_derived_variable* variable);
  /// Records why registration fails (then return non-zero from register).
  void (*fail)(void* context, const char* message);
} itwin_host;

typedef uint32_t (*itwin_plugin_api_version_fn)(void);
typedef int (*itwin_plugin_register_fn)(const itwin_host* host);

#ifdef __cplusplus
}  // extern "C"
#endif

#define ITWIN_PLUGIN_EXPORT_ __attribute__((visibility("default")))

/// Defines the two exported entry points. `register_fn` is an
/// `int f(const itwin_host*)` of the plugin that calls host->add_... .
#ifdef __cplusplus
#define ITWIN_PLUGIN(register_fn)                                                     \
  extern "C" ITWIN_PLUGIN_EXPORT_ uint32_t itwin_plugin_api_version(void) {           \
    return ITWIN_PLUGIN_API_VERSION;                                                  \
  }                                                                                   \
  extern "C" ITWIN_PLUGIN_EXPORT_ int itwin_plugin_register(const itwin_host* host) { \
    return register_fn(host);                                                         \
  }
#else
#define ITWIN_PLUGIN(register_fn)                                          \
  ITWIN_PLUGIN_EXPORT_ uint32_t itwin_plugin_api_version(void) {           \
    return ITWIN_PLUGIN_API_VERSION;                                       \
  }                                                                        \
  ITWIN_PLUGIN_EXPORT_ int itwin_plugin_register(const itwin_host* host) { \
    return register_fn(host);                                              \
  }
#endif

#ifdef __cplusplus
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace itwin::plugin_api {

/// The value of option `key` (every declared option has one), or nullptr.
inline const char* option(const itwin_options* o, const char* key) {
  for (size_t i = 0; o && i < o->count; ++i)
    if (std::strcmp(o->keys[i], key) == 0) return o->values[i];
  return nullptr;
}

/// Option `key` as a number; false (with a message in `error`) when it is not one.
inline bool option_double(const itwin_options* o, const char* key, double* out, char* error,
                          size_t error_size) {
  const char* v = option(o, key);
  char* end = nullptr;
  double d = v ? std::strtod(v, &end) : 0.0;
  if (!v || end == v || *end != '\0') {
    std::snprintf(error, error_size, "option '%s' must be a number, got '%s'", key, v ? v : "");
    return false;
  }
  *out = d;
  return true;
}

/// Writes a formatted message to `error` and returns 1 (for `return fail(...)`).
__attribute__((format(printf, 3, 4))) inline int fail(char* error, size_t error_size,
                                                      const char* fmt, ...) {
  va_list args;
  va_start(args, fmt);
  std::vsnprintf(error, error_size, fmt, args);
  va_end(args);
  return 1;
}

}  // namespace itwin::plugin_api
#endif
