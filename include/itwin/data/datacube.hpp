#pragma once
/// A `format: netcdf` data set before it becomes tensors: the datacube's
/// variables read from the file and checked, derived variables computed,
/// split by catchment or time, normalised with statistics of the training
/// part, and the windows of each split chosen (by the sampler for training,
/// every `stride`-th for validation and test). Torch-free; the torch side
/// (src/data/windows.cpp) only copies windows into batches.

#include <cstdint>
#include <string>
#include <vector>

#include "itwin/config/specs.hpp"
#include "itwin/util/error.hpp"

namespace itwin::data {

/// The config asks for something the data does not have (a variable the
/// file lacks, one with other dimensions, text instead of numbers): exit 2.
/// The step runner puts the step's file:line:col in front.
class DataMismatch : public ConfigError {
 public:
  using ConfigError::ConfigError;
};

/// Variables in physical units: dynamic ones (derived appended) and targets
/// time-major [T * C] (value (t, c) at t * C + c), statics [C]. NaN only in
/// targets (missing values); inputs were checked complete.
struct RawCube {
  std::string path;
  int64_t n_time = 0, n_catchments = 0;
  std::vector<std::string> dynamic_names, static_names, target_names;
  std::vector<std::vector<float>> dynamic, statics, targets;
};

/// Reads the variables `spec.netcdf` names from `spec.path` and computes the
/// derived ones. Throws DataMismatch (see above), RuntimeError for a file
/// that cannot be read, a missing value (NaN or fill value) in an input
/// (naming the file, variable, time and catchment) or a failing derived
/// variable. `who` starts the messages ("step 'data' (netcdf d.nc)").
/// `read_dynamic` false (a streamed cube): the dynamic inputs are checked and
/// named but not read (`dynamic` stays empty); derived variables are not allowed.
RawCube read_cube(const config::DatasetSpec& spec, const std::string& who,
                  bool read_dynamic = true);

/// One window: the catchment and the time of its target; its inputs are the
/// seq_length steps ending at time - lag.
struct Window {
  int32_t catchment = 0;
  int32_t time = 0;
};

/// Mean and standard deviation per variable (mean 0, std 1: not normalised).
struct Scaling {
  std::vector<double> mean, std;
};

/// The cube ready for windows: catchment-major and normalised.
struct WindowCube {
  std::string path;
  int64_t n_time = 0, n_catchments = 0, seq_length = 1, lag = 0;
  std::vector<std::string> dynamic_names, static_names, target_names;
  std::vector<float> dynamic;  ///< [C][T][Fd]
  std::vector<float> statics;  ///< [C][Fs]
  std::vector<float> targets;  ///< [C][T][K]
  Scaling dynamic_scaling, static_scaling, target_scaling;
  int64_t features() const {
    return static_cast<int64_t>(dynamic_names.size() + static_names.size());
  }
  int64_t num_targets() const { return static_cast<int64_t>(target_names.size()); }
  /// Window w's inputs [seq_length][features()] to x, its targets [K] to y.
  void copy(Window w, float* x, float* y) const;
};

struct WindowSplits {
  WindowCube cube;
  std::vector<Window> train, val, test;
  std::vector<int64_t> train_catchments, val_catchments, test_catchments;
  int64_t train_end = 0,
          val_end = 0;      ///< split by time: [0, train_end), [train_end, val_end), [val_end, T)
  std::string description;  ///< for the log line
};

/// Splits `raw`, normalises it and chooses the windows. `seed` orders the
/// catchments (split by catchment, `shuffle`) and seeds the sampler.
/// Throws ConfigError-derived DataMismatch when the split leaves no training
/// data, RuntimeError when a sampler fails or emits a window outside its split.
WindowSplits cut_windows(RawCube raw, const config::DatasetSpec& spec, uint64_t seed,
                         const std::string& who);

}  // namespace itwin::data
