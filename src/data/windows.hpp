#pragma once
// `format: netcdf` as DataSplits (internal to src/data; dataset.cpp calls it).

#include "itwin/data/dataset.hpp"

namespace itwin::data {

/// The netcdf data set as windows: each split a Samples that cuts its
/// windows out of one shared, normalised cube when a batch is gathered.
DataSplits load_windows(const config::DatasetSpec& spec, uint64_t seed, const std::string& who);

}  // namespace itwin::data
