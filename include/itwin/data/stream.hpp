#pragma once
/// Data larger than memory: samples in blocks (rows of an HDF5 file, the
/// windows of a span of a datacube's time steps), each block read with one
/// contiguous read, each rank reading only its blocks, with a background
/// thread reading the next blocks while the model trains.
///
/// Sampling works on blocks: an epoch permutes the blocks (seeded), lays
/// their samples (shuffled within each block) end to end, and gives rank r
/// the r-th of `world` equal spans of that sequence (padded by wrapping, or
/// cut with drop_last), as DDP needs. The order is a pure function of (seed,
/// epoch, rank, world) and the blocks, never of where the blocks live: held
/// in memory or read from disk, the samples and their order are the same, and
/// a resumed run reads exactly what the uninterrupted one would.
///
/// Memory: at most `prefetch` blocks queued (read ahead), plus the one in
/// use; the blocks of a split are dropped when its pass ends.

#include <cstdint>
#include <memory>
#include <vector>

#include "itwin/data/dataset.hpp"

namespace itwin::data {

/// A block read from its source; what it holds is the source's business.
struct Block {
  virtual ~Block() = default;
  /// Bytes it holds (0 for a view of data held elsewhere).
  virtual int64_t bytes() const = 0;
};

/// Samples in blocks. read() is called from the reader thread, cut() from
/// the trainer's: both must be thread-safe.
class BlockSource {
 public:
  virtual ~BlockSource() = default;
  virtual int64_t blocks() const = 0;
  virtual int64_t block_size(int64_t b) const = 0;  ///< samples in block b
  /// Block b. Errors (a bad file) are thrown; the trainer gets them when it
  /// reaches the block.
  virtual std::shared_ptr<const Block> read(int64_t b) const = 0;
  /// Samples `rows` (indices within the block) of a block read() returned, as a batch.
  virtual TensorData cut(const Block& block, const std::vector<int64_t>& rows) const = 0;
};

/// Blocks of a source as samples; sample i is row i - first(b) of the block b holding it.
std::shared_ptr<const Samples> block_samples(std::shared_ptr<const BlockSource> source,
                                             int64_t prefetch = 2);

/// What the blocks of `samples` (made by block_samples) took: resident now and
/// at most so far (queued, being read, in use); {0, 0} for other samples.
struct BlockMemory {
  int64_t resident = 0, peak = 0;
};
BlockMemory block_memory(const Samples& samples);

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

/// Rows [first, last) of `reader` as streamed samples, in blocks of block_rows.
std::shared_ptr<const Samples> streamed_rows(std::shared_ptr<const RowReader> reader, int64_t first,
                                             int64_t last, const StreamOptions& o);

/// Block size for a memory budget: the blocks in memory at once (in use,
/// read ahead, being read) stay within `max_bytes`.
StreamOptions stream_options_for(int64_t row_bytes, int64_t max_bytes, int ahead = 2);

}  // namespace itwin::data
