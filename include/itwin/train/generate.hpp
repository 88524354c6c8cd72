#pragma once
/// `type: generate`: samples from a trained generator for given conditions
/// (3DGAN: showers for given primary energies), written to HDF5.
///
/// Sample i (0-based, over every combination of the condition values, the
/// last condition varying fastest, `count` samples each) gets noise keyed by
/// (seed, i) alone, so the file does not depend on the number of ranks. With
/// N ranks, rank r generates the r-th contiguous block of samples; the blocks
/// are gathered to rank 0 in order, chunk by chunk, and rank 0 writes the
/// file: `x` [samples, ...] (times `scale`) and one [samples] float32
/// dataset per condition, named after it.

#include <cstdint>
#include <string>
#include <vector>

#include "itwin/comm/backend.hpp"
#include "itwin/config/specs.hpp"
#include "itwin/models/model.hpp"

namespace itwin::train {

struct GenerateResult {
  int64_t samples = 0;
  std::vector<int64_t> sample_shape;  ///< one sample, e.g. [25, 25, 25]
  double seconds = 0;                 ///< generating and gathering (not writing)
};

/// Checks with one sample that `generator` takes [latent noise, conditions];
/// returns the shape of one sample. Throws RuntimeError saying what does not fit.
std::vector<int64_t> generate_preflight(const config::GenerateSpec& spec, models::Model& generator,
                                        int64_t latent, const torch::Device& device = torch::kCPU);

/// Generates on every rank (every rank calls it; the generator lives on
/// `device`) and writes spec.path on rank 0.
GenerateResult generate_samples(const config::GenerateSpec& spec, models::Model& generator,
                                int64_t latent, uint64_t seed, comm::Backend& comm,
                                const torch::Device& device = torch::kCPU);

}  // namespace itwin::train
