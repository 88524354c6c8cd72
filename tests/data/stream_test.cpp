// Streamed rows: block sampling (deterministic, every sample once, equal
// counts per rank), reads ahead in order, resumes mid-pass, reads each block once.
#include "itwin/data/stream.hpp"
#undef CHECK  // glog's, from LibTorch

#include <atomic>
#include <catch2/catch.hpp>
#include <set>

using namespace itwin;

namespace {

// Rows of an in-memory tensor, counting reads: x[i] = [i, i], y[i] = i.
struct CountingReader : data::RowReader {
  int64_t n;
  mutable std::atomic<int> reads{0};
  explicit CountingReader(int64_t rows) : n(rows) {}
  int64_t rows() const override { return n; }
  int64_t row_bytes() const override { return 16; }
  data::TensorData read(int64_t begin, int64_t end) const override {
    ++reads;
    auto idx = torch::arange(begin, end, torch::kInt64);
    return {idx.to(torch::kFloat32).unsqueeze(1).repeat({1, 2}), idx};
  }
};

std::vector<int64_t> labels_of(const data::Samples& s, const std::vector<int64_t>& order,
                               size_t batch) {
  std::vector<int64_t> out;
  s.begin_pass(order, 0, batch);
  for (size_t b = 0; b < order.size(); b += batch) {
    auto t = s.gather(order, b, std::min(order.size(), b + batch));
    for (int64_t i = 0; i < t.size(); ++i) out.push_back(t.y[i].item<int64_t>());
  }
  return out;
}

}  // namespace

TEST_CASE("stream: an epoch covers every sample, ranks get equal shares, the order is reproducible",
          "[data][stream]") {
  auto reader = std::make_shared<CountingReader>(1000);
  auto s = data::streamed_rows(reader, 100, 1000, {64, 2});  // rows 100..999
  REQUIRE(s->size() == 900);
  std::multiset<int64_t> seen;
  size_t per_rank = 0;
  for (int r = 0; r < 3; ++r) {
    auto order = s->epoch_order(true, 7, 2, r, 3, false);
    if (r == 0) per_rank = order.size();
    CHECK(order.size() == per_rank);
    CHECK(order == s->epoch_order(true, 7, 2, r, 3, false));  // a resumed run reads the same
    for (auto v : labels_of(*s, order, 50)) seen.insert(v);
  }
  CHECK(per_rank == 300);
  std::set<int64_t> distinct(seen.begin(), seen.end());
  CHECK(distinct.size() == 900);  // every row once
  CHECK(*distinct.begin() == 100);
  CHECK(*distinct.rbegin() == 999);
  CHECK(s->epoch_order(true, 7, 3, 0, 3, false) !=
        s->epoch_order(true, 7, 2, 0, 3, false));  // reshuffled per epoch
}

TEST_CASE("stream: each block is read once per pass, ahead of use, also from the middle",
          "[data][stream]") {
  auto reader = std::make_shared<CountingReader>(640);
  auto s = data::streamed_rows(reader, 0, 640, {64, 2});
  auto order = s->epoch_order(true, 1, 0, 0, 1, false);
  auto all = labels_of(*s, order, 32);
  CHECK(reader->reads == 10);  // 10 blocks, one read each
  CHECK(all.size() == 640);
  // Resume at batch 7 (a mid-epoch checkpoint): the same samples as the uninterrupted pass from
  // there.
  reader->reads = 0;
  s->begin_pass(order, 7 * 32, 32);
  std::vector<int64_t> rest;
  for (size_t b = 7 * 32; b < order.size(); b += 32) {
    auto t = s->gather(order, b, b + 32);
    for (int64_t i = 0; i < t.size(); ++i) rest.push_back(t.y[i].item<int64_t>());
  }
  CHECK(std::equal(rest.begin(), rest.end(), all.begin() + 7 * 32));
  CHECK(reader->reads <= 7);  // the blocks before the resume point are not read
}

TEST_CASE("stream: evaluation order splits blocks across ranks without padding", "[data][stream]") {
  auto s = data::streamed_rows(std::make_shared<CountingReader>(130), 0, 130, {16, 1});
  std::set<int64_t> all;
  size_t total = 0;
  for (int r = 0; r < 2; ++r) {
    auto o = s->eval_order(r, 2);
    total += o.size();
    for (auto v : labels_of(*s, o, 10)) all.insert(v);
  }
  CHECK(total == 130);
  CHECK(all.size() == 130);
}

TEST_CASE("stream: blocks fit the memory budget", "[data][stream]") {
  auto o = data::stream_options_for(1000, 1000000, 2);
  CHECK(o.block_rows * 1000 * (o.ahead + 3) <= 1000000);
  CHECK(o.block_rows >= 100);
}
