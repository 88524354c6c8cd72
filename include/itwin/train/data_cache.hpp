#pragma once
/// Decoded data sets kept by a process that forks runs (the HPO trial
/// zygote, hpo/zygote.hpp): it decodes the data sets of a pipeline once,
/// and every run forked from it takes the decoded copy (shared
/// copy-on-write, never written) instead of reading and decoding its files
/// again. A process that never warms the cache never finds anything in it.
/// Declared without torch types so the CLI compiles without them.

#include <cstdint>
#include <string>

#include "itwin/config/pipeline.hpp"

namespace itwin::train {

/// Decodes the in-memory data sets (idx, npy, npz, csv) of `pipeline`'s
/// dataset steps for `cfg.run.seed` at one thread and keeps them. Returns
/// how many it kept; a data set that fails to load is left to the run (it
/// reports the error).
int warm_dataset_cache(const config::Config& cfg, const config::Pipeline& pipeline);

/// The key a dataset step's decoded data is kept under: every field that
/// changes what load_dataset returns for the cached formats, the seed, and
/// the size and modification time of the files read. "" for what is not
/// cached (synthetic, hdf5, netcdf, streamed data).
std::string dataset_cache_key(const config::DatasetSpec& spec, uint64_t seed);

}  // namespace itwin::train
