#pragma once
/// Streaming keys of `hdf5` and `netcdf` data sets (docs/config.md,
/// "Data larger than memory"). Plain data.

#include <cstdint>
#include <string>

namespace itwin::config {

/// `stream:` false: the whole data set in memory, samples shuffled one by
/// one (the default). true: blocks read from disk as training needs them.
/// auto: the same blocks and order as true, held in memory when the data fit
/// `max_memory`, read from disk when not.
enum class StreamMode { Off, On, Auto };

struct StreamSpec {
  StreamMode mode = StreamMode::Off;
  int64_t max_memory = 0;  ///< bytes the blocks may take; 0: 90 % of the available memory
  int64_t block = 256;     ///< rows (hdf5: `block_rows`) or steps (netcdf: `block_steps`)
  int64_t prefetch = 2;    ///< blocks read ahead of the one in use
};

/// "2GiB", "512 MiB", "1.5GB", "1000000" (bytes): the number of bytes, or
/// -1 when `text` is not a size (KB, MB, GB, TB: powers of 1000; KiB..TiB: of 1024).
int64_t parse_bytes(const std::string& text);

}  // namespace itwin::config
