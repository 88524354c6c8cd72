// Samples in blocks: block sampling per rank, a reader thread a few blocks
// ahead, and the memory the blocks take.
#include "itwin/data/stream.hpp"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>

#include "itwin/util/error.hpp"

namespace itwin::data {
namespace {

using BlockPtr = std::shared_ptr<const Block>;

std::vector<int64_t> identity(int64_t n) {
  std::vector<int64_t> v(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) v[static_cast<size_t>(i)] = i;
  return v;
}

class BlockSamples : public Samples {
 public:
  BlockSamples(std::shared_ptr<const BlockSource> s, int64_t prefetch)
      : src_(std::move(s)), ahead_(static_cast<size_t>(prefetch)) {
    if (prefetch < 1) throw RuntimeError("block samples: prefetch must be >= 1");
    first_.push_back(0);
    for (int64_t b = 0; b < src_->blocks(); ++b)
      first_.push_back(first_.back() + src_->block_size(b));
  }
  ~BlockSamples() override { stop(); }

  int64_t size() const override { return first_.back(); }

  // The permuted blocks' samples (shuffled within each block) form one
  // sequence; rank r takes the r-th of `world` equal spans of it: every sample
  // once per epoch, the same count on every rank, each rank's samples in runs
  // of whole blocks (a span's two ends may share a block with a neighbour).
  std::vector<int64_t> epoch_order(bool shuffle, uint64_t seed, uint64_t epoch, int rank, int world,
                                   bool drop_last) const override {
    const int64_t nb = src_->blocks(), n = size();
    if (n == 0) return {};
    std::vector<int64_t> ids = shuffle ? permutation(nb, seed, epoch) : identity(nb);
    const int64_t per_rank = drop_last ? n / world : (n + world - 1) / world;
    const int64_t from = per_rank * rank, to = from + per_rank;
    std::vector<int64_t> mine;
    mine.reserve(static_cast<size_t>(per_rank));
    for (int64_t pos = 0, k = 0; pos < to; ++k) {
      const int64_t b = ids[static_cast<size_t>(k % nb)];
      const int64_t len = src_->block_size(b);
      if (pos + len > from) {
        std::vector<int64_t> rows =
            shuffle ? permutation(len, seed ^ (0x9E37u * static_cast<uint64_t>(b + 1)), epoch)
                    : identity(len);
        for (int64_t i = 0; i < len; ++i) {
          if (pos + i >= from && pos + i < to)
            mine.push_back(first_[static_cast<size_t>(b)] + rows[static_cast<size_t>(i)]);
        }
      }
      pos += len;
    }
    return mine;
  }

  std::vector<int64_t> eval_order(int rank, int world) const override {
    std::vector<int64_t> mine;
    for (int64_t b = rank; b < src_->blocks(); b += world) {
      for (int64_t i = first_[static_cast<size_t>(b)]; i < first_[static_cast<size_t>(b) + 1]; ++i)
        mine.push_back(i);
    }
    return mine;
  }

  void begin_pass(const std::vector<int64_t>& order, size_t from, size_t) const override {
    stop();
    std::lock_guard<std::mutex> lock(m_);
    plan_.clear();
    for (size_t i = from; i < order.size(); ++i) {
      const int64_t b = block_of(order[i]);
      if (plan_.empty() || plan_.back() != b) plan_.push_back(b);
    }
    queue_.clear();
    held_ = {-1, nullptr};
    error_ = nullptr;
    stop_ = false;
    account();
    thread_ = std::thread([this] { read_ahead(); });
  }

  TensorData gather(const std::vector<int64_t>& order, size_t begin, size_t end) const override {
    std::vector<torch::Tensor> xs, ys;
    size_t i = begin;
    while (i < end) {
      const int64_t b = block_of(order[i]);
      std::vector<int64_t> rows;
      for (; i < end && block_of(order[i]) == b; ++i)
        rows.push_back(order[i] - first_[static_cast<size_t>(b)]);
      BlockPtr blk = block(b);
      TensorData t = src_->cut(*blk, rows);
      xs.push_back(t.x);
      ys.push_back(t.y);
    }
    if (end == order.size()) release();  // the pass is over: its blocks go
    if (xs.size() == 1) return {xs[0], ys[0]};
    return {torch::cat(xs), torch::cat(ys)};
  }

  BlockMemory memory() const {
    std::lock_guard<std::mutex> lock(m_);
    return {resident_, peak_};
  }

 private:
  int64_t block_of(int64_t i) const {
    return static_cast<int64_t>(std::upper_bound(first_.begin(), first_.end(), i) -
                                first_.begin()) -
           1;
  }

  // Called with m_ held: what the queued, held and in-flight blocks take.
  void account() const {
    int64_t r = (held_.second ? held_.second->bytes() : 0);
    for (const auto& q : queue_) r += q.second->bytes();
    resident_ = r;
    peak_ = std::max(peak_, r);
  }

  // The reader thread: the pass's blocks in order, at most `ahead_` queued or being read.
  void read_ahead() const {
    for (size_t k = 0;; ++k) {
      int64_t b;
      {
        std::unique_lock<std::mutex> lock(m_);
        cv_.wait(lock, [&] { return stop_ || queue_.size() < ahead_; });
        if (stop_ || k >= plan_.size()) return;
        b = plan_[k];
      }
      try {
        BlockPtr d = src_->read(b);
        std::lock_guard<std::mutex> lock(m_);
        queue_.emplace_back(b, std::move(d));
        account();
      } catch (...) {
        std::lock_guard<std::mutex> lock(m_);
        error_ = std::current_exception();
        cv_.notify_all();
        return;
      }
      cv_.notify_all();
    }
  }

  // Block `b`: held already, next from the reader thread, or (a gather out of
  // the pass's order) read here.
  BlockPtr block(int64_t b) const {
    std::unique_lock<std::mutex> lock(m_);
    if (held_.first == b && held_.second) return held_.second;
    const bool planned =
        std::find(plan_.begin(), plan_.end(), b) != plan_.end() && thread_.joinable();
    BlockPtr d;
    if (planned) {
      held_ = {-1, nullptr};  // dropped before the next is taken: one block in use
      for (;;) {
        cv_.wait(lock, [&] { return !queue_.empty() || error_ != nullptr; });
        if (queue_.empty()) std::rethrow_exception(error_);
        auto front = std::move(queue_.front());
        queue_.pop_front();
        cv_.notify_all();
        if (front.first == b) {
          d = std::move(front.second);
          break;
        }
      }
    } else {
      lock.unlock();
      d = src_->read(b);
      lock.lock();
    }
    held_ = {b, d};
    account();
    return d;
  }

  void release() const {
    std::lock_guard<std::mutex> lock(m_);
    held_ = {-1, nullptr};
    account();
  }

  void stop() const {
    {
      std::lock_guard<std::mutex> lock(m_);
      stop_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

  std::shared_ptr<const BlockSource> src_;
  size_t ahead_;
  std::vector<int64_t> first_;  ///< first sample of each block; size() at the end
  mutable std::mutex m_;
  mutable std::condition_variable cv_;
  mutable std::vector<int64_t> plan_;  ///< this pass's blocks, in reading order
  mutable std::deque<std::pair<int64_t, BlockPtr>> queue_;
  mutable std::pair<int64_t, BlockPtr> held_{-1, nullptr};
  mutable int64_t resident_ = 0, peak_ = 0;  ///< a block being read is not counted
  mutable std::exception_ptr error_;
  mutable bool stop_ = false;
  mutable std::thread thread_;
};

// Rows of a RowReader in blocks of block_rows.
struct RowsBlock : Block {
  TensorData d;
  int64_t bytes() const override {
    return static_cast<int64_t>(d.x.nbytes() + (d.y.defined() ? d.y.nbytes() : 0));
  }
};

class RowsSource : public BlockSource {
 public:
  RowsSource(std::shared_ptr<const RowReader> r, int64_t first, int64_t last, int64_t block_rows)
      : r_(std::move(r)), first_(first), n_(last - first), rows_(block_rows) {}
  int64_t blocks() const override { return (n_ + rows_ - 1) / rows_; }
  int64_t block_size(int64_t b) const override { return std::min(rows_, n_ - b * rows_); }
  std::shared_ptr<const Block> read(int64_t b) const override {
    auto blk = std::make_shared<RowsBlock>();
    const int64_t begin = first_ + b * rows_;
    blk->d = r_->read(begin, begin + block_size(b));
    return blk;
  }
  TensorData cut(const Block& block, const std::vector<int64_t>& rows) const override {
    const auto& d = static_cast<const RowsBlock&>(block).d;
    auto idx = torch::tensor(rows, torch::kInt64);
    return {d.x.index_select(0, idx), d.y.index_select(0, idx)};
  }

 private:
  std::shared_ptr<const RowReader> r_;
  int64_t first_, n_, rows_;
};

}  // namespace

std::shared_ptr<const Samples> block_samples(std::shared_ptr<const BlockSource> source,
                                             int64_t prefetch) {
  return std::make_shared<BlockSamples>(std::move(source), prefetch);
}

BlockMemory block_memory(const Samples& samples) {
  auto* b = dynamic_cast<const BlockSamples*>(&samples);
  return b ? b->memory() : BlockMemory{};
}

std::shared_ptr<const Samples> streamed_rows(std::shared_ptr<const RowReader> reader, int64_t first,
                                             int64_t last, const StreamOptions& o) {
  if (o.block_rows < 1 || o.ahead < 1)
    throw RuntimeError("streamed rows: block_rows and ahead must be >= 1");
  return block_samples(std::make_shared<RowsSource>(std::move(reader), first, last, o.block_rows),
                       o.ahead);
}

StreamOptions stream_options_for(int64_t row_bytes, int64_t max_bytes, int ahead) {
  StreamOptions o;
  o.ahead = ahead;
  // In memory at once: the block in use, `ahead` queued or being read, and one spare.
  const int64_t blocks = ahead + 3;
  o.block_rows = std::max<int64_t>(1, max_bytes / std::max<int64_t>(1, row_bytes) / blocks);
  return o;
}

}  // namespace itwin::data
