#pragma once
/// Data sets as samples the trainer gathers into batches: held in memory,
/// windows cut from a datacube, or rows streamed from a file larger than
/// memory. Splits into train/validation/test. Torch TU territory.

#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "itwin/config/specs.hpp"
#include "itwin/data/array.hpp"

namespace itwin::data {

/// A batch, or samples held in memory: x [N, ...] float32, y [N] int64
/// (classification) or [N, T] float32 (regression).
struct TensorData {
  torch::Tensor x;
  torch::Tensor y;
  int64_t size() const { return x.defined() ? x.size(0) : 0; }
};

/// The samples of a split, gathered by index in the order the sampler gives.
class Samples {
 public:
  virtual ~Samples() = default;
  virtual int64_t size() const = 0;
  /// The samples order[begin, end) as one batch.
  virtual TensorData gather(const std::vector<int64_t>& order, size_t begin, size_t end) const = 0;
  /// This rank's samples for an epoch, in the order they are read. The
  /// default is PyTorch's DistributedSampler over a seeded permutation
  /// (epoch_indices); a source that streams from disk reads blocks instead.
  virtual std::vector<int64_t> epoch_order(bool shuffle, uint64_t seed, uint64_t epoch, int rank,
                                           int world, bool drop_last) const;
  /// This rank's share for an evaluation (every sample once over all ranks).
  virtual std::vector<int64_t> eval_order(int rank, int world) const;
  /// The next gathers read `order` from position `from`, `batch` at a time: a
  /// source on disk starts reading ahead.
  virtual void begin_pass(const std::vector<int64_t>& order, size_t from, size_t batch) const {
    (void)order;
    (void)from;
    (void)batch;
  }
};

/// A split: shared, immutable samples. Built from tensors it holds them in memory.
class Split {
 public:
  Split() = default;
  Split(torch::Tensor x, torch::Tensor y);
  Split(TensorData d);  // NOLINT: in-memory data is a split
  explicit Split(std::shared_ptr<const Samples> s) : s_(std::move(s)) {}
  int64_t size() const { return s_ ? s_->size() : 0; }
  TensorData gather(const std::vector<int64_t>& order, size_t begin, size_t end) const {
    return s_->gather(order, begin, end);
  }
  const Samples& samples() const { return *s_; }
  /// The tensors when the split is held in memory (nullptr otherwise).
  const TensorData* tensors() const;
  /// The first `n` samples as one batch (shape checks).
  TensorData head(int64_t n) const;

 private:
  std::shared_ptr<const Samples> s_;
};

struct DataSplits {
  Split train, val, test;
  bool classification = true;
  int64_t num_classes = 0;            ///< classification
  int64_t num_targets = 0;            ///< regression
  std::vector<int64_t> sample_shape;  ///< x.shape without N
  std::string description;            ///< for logs: "idx /usr/share/..."
  bool shuffle = true;                ///< reshuffle the training set every epoch
};

/// Loads and splits the data set a step describes. `seed` drives the
/// shuffle before splitting. Errors name the step and the file.
DataSplits load_dataset(const config::DatasetSpec& spec, uint64_t seed,
                        const std::string& step_name);

/// Deterministic permutation of 0..n-1 from (seed, epoch): the same on every
/// platform and independent of any global RNG, so a resumed run replays it.
std::vector<int64_t> permutation(int64_t n, uint64_t seed, uint64_t epoch);

/// Indices of one epoch for rank `rank` of `world`, like PyTorch's
/// DistributedSampler: shuffle by seed+epoch, pad by wrapping (or drop the
/// tail) so every rank gets the same count, then take every world-th index.
std::vector<int64_t> epoch_indices(int64_t n, bool shuffle, uint64_t seed, uint64_t epoch,
                                   int rank = 0, int world = 1, bool drop_last = false);

/// An array read from a file as a tensor (a copy, in its dtype).
torch::Tensor to_tensor(const Array& a);
/// The same without a copy: the tensor takes over the array's bytes.
torch::Tensor to_tensor(Array&& a);

/// The batch at [begin, end) of `order` from samples held in memory.
TensorData gather(const TensorData& d, const std::vector<int64_t>& order, size_t begin, size_t end);

}  // namespace itwin::data
