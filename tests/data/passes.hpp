#pragma once
// What the block-streaming tests share (hdf5_stream_test.cpp,
// window_stream_test.cpp): one pass over a Samples as a trainer makes it.
// Include it after the torch headers and before Catch.

#include <algorithm>
#include <vector>

#include "itwin/data/dataset.hpp"

namespace itwin::test {

/// Every batch of `batch` samples of `order` from position `from` on, as a
/// trainer reads them (begin_pass, then gather per batch), concatenated.
inline data::TensorData pass(const data::Samples& s, const std::vector<int64_t>& order, size_t from,
                             size_t batch) {
  s.begin_pass(order, from, batch);
  std::vector<torch::Tensor> xs, ys;
  for (size_t b = from; b < order.size(); b += batch) {
    auto t = s.gather(order, b, std::min(order.size(), b + batch));
    xs.push_back(t.x);
    ys.push_back(t.y);
  }
  return {torch::cat(xs), torch::cat(ys)};
}

}  // namespace itwin::test
