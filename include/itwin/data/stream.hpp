#pragma once
/// Data larger than memory: samples that are rows of files (HDF5, NetCDF,
/// NPY), read in blocks of consecutive rows, each rank only its blocks, with
/// a background thread reading the next blocks while the model trains.
///
/// Sampling works on blocks: an epoch permutes the blocks (seeded), deals
/// them to the ranks round-robin, and shuffles the rows within each block;
/// every rank reads only its own blocks, each with one contiguous read. All
/// ranks get the same number of samples (padded by wrapping, or cut with
/// drop_last), as DDP needs; the order is a pure function of (seed, epoch,
/// rank), so a resumed run reads exactly what the uninterrupted one would.

#include <cstdint>
#include <memory>

#include "itwin/data/dataset.hpp"

namespace itwin::data {

/// Reads rows of a data source. Thread-safe (the reader thread and the
/// trainer call it).
class RowReader {
 public:
  virtual ~RowReader() = default;
  virtual int64_t rows() const = 0;
  /// Bytes one row takes in memory (x and y), to size blocks.
  virtual int64_t row_bytes() const = 0;
  /// Rows [begin, end) as a batch (x float32; y int64 or float32).
  virtual TensorData read(int64_t begin, int64_t end) const = 0;
};

struct StreamOptions {
  int64_t block_rows = 1024;  ///< rows per read
  int ahead = 2;              ///< blocks read ahead of the one in use
};

/// Rows [first, last) of `reader` as streamed samples.
std::shared_ptr<const Samples> streamed_rows(std::shared_ptr<const RowReader> reader, int64_t first,
                                             int64_t last, const StreamOptions& o);

/// Block size for a memory budget: the blocks in memory at once (in use,
/// read ahead, being read) stay within `max_bytes`.
StreamOptions stream_options_for(int64_t row_bytes, int64_t max_bytes, int ahead = 2);

}  // namespace itwin::data
