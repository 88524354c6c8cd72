#pragma once
// `format: netcdf` as DataSplits (internal to src/data; dataset.cpp calls it).

#include "itwin/data/datacube.hpp"
#include "itwin/data/dataset.hpp"

namespace itwin::data {

/// The netcdf data set as windows: each split a Samples that cuts its
/// windows out of one shared, normalised cube when a batch is gathered.
DataSplits load_windows(const config::DatasetSpec& spec, uint64_t seed, const std::string& who);

/// The same with `stream: true | auto`: windows in blocks of `block_steps`
/// time steps, read from the file as training reaches them or cut from the
/// cube held in memory when it fits max_memory (window_stream.cpp).
DataSplits load_window_blocks(const config::DatasetSpec& spec, uint64_t seed,
                              const std::string& who);

/// Keeps a seeded subset of at most `limit` windows (0: all), in their order.
void limit_windows(std::vector<Window>& windows, int64_t limit, uint64_t seed);

}  // namespace itwin::data
