#pragma once
// `format: hdf5` with `stream: true|auto` (internal to src/data; dataset.cpp
// calls it): the rows of x in blocks, split by blocks, each block read from
// the file when training reaches it, or held in memory when the data fit.

#include "itwin/data/dataset.hpp"

namespace itwin::data {

/// Splits of an hdf5 data set in blocks of `block_rows` rows (see
/// itwin/data/stream.hpp). The file's blocks are shuffled once (seeded) and
/// dealt to validation, test and training in that order, so each split is a
/// list of runs of consecutive rows. Throws DataMismatch (exit 2) for a
/// config the file or the memory budget cannot meet; a NaN or infinite input
/// is a RuntimeError naming the file, dataset and row when its block is read.
DataSplits load_hdf5_blocks(const config::DatasetSpec& spec, uint64_t seed, const std::string& who);

}  // namespace itwin::data
