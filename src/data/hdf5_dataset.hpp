#pragma once
// `format: hdf5` data sets, read into memory (internal to src/data): the
// samples' dataset `x` and the per-sample labels or conditions `y`, through
// Hdf5File. Torch-free; dataset.cpp turns the arrays into tensors.

#include <string>

#include "itwin/config/specs.hpp"
#include "itwin/data/array.hpp"

namespace itwin::data {

struct Hdf5Arrays {
  Array x;  ///< [N, ...] as stored
  Array y;  ///< [N, C]: the y datasets as columns (I64 when all are integers, else F64); C may be 0
  std::string description;       ///< "hdf5 f.h5: ECAL [1000, 25, 25, 25] float32; y: energy"
  std::vector<int64_t> x_shape;  ///< x's shape in the file (also when x is not read)
};

/// Reads `spec.x_key` whole and each of `spec.y_keys` ([N] or [N, k]) as
/// columns of y. Errors (RuntimeError) name `who`, the file and the dataset:
/// a missing dataset (with the file's datasets), a y whose first dimension
/// is not x's, a dataset that is not numeric or has no sample dimension.
/// Those are DataMismatch (exit 2: the config names what the file lacks).
/// `read_x` false: x is checked but not read (streamed data sets read its rows later).
Hdf5Arrays read_hdf5_dataset(const config::DatasetSpec& spec, const std::string& who,
                             bool read_x = true);

}  // namespace itwin::data
