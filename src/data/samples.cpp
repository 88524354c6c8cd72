// Samples held in memory, and what every kind of samples shares.
#include "itwin/data/dataset.hpp"

namespace itwin::data {
namespace {

class InMemory : public Samples {
 public:
  explicit InMemory(TensorData d) : d_(std::move(d)) {}
  int64_t size() const override { return d_.size(); }
  TensorData gather(const std::vector<int64_t>& order, size_t begin, size_t end) const override {
    return data::gather(d_, order, begin, end);
  }
  const TensorData& tensors() const { return d_; }

 private:
  TensorData d_;
};

}  // namespace

std::vector<int64_t> Samples::epoch_order(bool shuffle, uint64_t seed, uint64_t epoch, int rank,
                                          int world, bool drop_last) const {
  return epoch_indices(size(), shuffle, seed, epoch, rank, world, drop_last);
}

std::vector<int64_t> Samples::eval_order(int rank, int world) const {
  std::vector<int64_t> order;  // r, r + world, ...: no padding, exact sums over the ranks
  for (int64_t i = rank; i < size(); i += world) order.push_back(i);
  return order;
}

Split::Split(torch::Tensor x, torch::Tensor y) : Split(TensorData{std::move(x), std::move(y)}) {}

Split::Split(TensorData d) {
  if (d.x.defined()) s_ = std::make_shared<InMemory>(std::move(d));
}

const TensorData* Split::tensors() const {
  auto* m = dynamic_cast<const InMemory*>(s_.get());
  return m ? &m->tensors() : nullptr;
}

TensorData Split::head(int64_t n) const {
  std::vector<int64_t> order;
  for (int64_t i = 0; i < std::min(n, size()); ++i) order.push_back(i);
  return gather(order, 0, order.size());
}

}  // namespace itwin::data
