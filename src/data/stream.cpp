// Streamed rows: block sampling per rank and a reader thread a few blocks ahead.
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

class StreamedRows : public Samples {
 public:
  StreamedRows(std::shared_ptr<const RowReader> r, int64_t first, int64_t last, StreamOptions o)
      : reader_(std::move(r)), first_(first), n_(last - first), o_(o) {
    if (o_.block_rows < 1 || o_.ahead < 1)
      throw RuntimeError("streamed rows: block_rows and ahead must be >= 1");
  }
  ~StreamedRows() override { stop(); }

  int64_t size() const override { return n_; }

  // The permuted blocks' rows (shuffled within each block) form one sequence;
  // rank r reads the r-th of `world` equal spans of it (padded by wrapping, or
  // cut with drop_last): every row once per epoch, the same count on every
  // rank, and each rank's rows in runs of whole blocks (a span's two ends
  // may share a block with the neighbouring rank).
  std::vector<int64_t> epoch_order(bool shuffle, uint64_t seed, uint64_t epoch, int rank, int world,
                                   bool drop_last) const override {
    const int64_t nb = blocks();
    std::vector<int64_t> ids = shuffle ? permutation(nb, seed, epoch) : identity(nb);
    const int64_t per_rank = drop_last ? n_ / world : (n_ + world - 1) / world;
    const int64_t from = per_rank * rank, to = from + per_rank;
    std::vector<int64_t> mine;
    mine.reserve(static_cast<size_t>(per_rank));
    for (int64_t pos = 0, k = 0; pos < to; ++k) {
      const int64_t b = ids[static_cast<size_t>(k % nb)];
      const int64_t len = block_len(b);
      if (pos + len > from) {
        std::vector<int64_t> rows =
            shuffle ? permutation(len, seed ^ (0x9E37u * static_cast<uint64_t>(b + 1)), epoch)
                    : identity(len);
        for (int64_t i = 0; i < len; ++i) {
          if (pos + i >= from && pos + i < to)
            mine.push_back(b * o_.block_rows + rows[static_cast<size_t>(i)]);
        }
      }
      pos += len;
    }
    return mine;
  }

  std::vector<int64_t> eval_order(int rank, int world) const override {
    std::vector<int64_t> mine;
    for (int64_t b = rank; b < blocks(); b += world) {
      for (int64_t r = 0; r < block_len(b); ++r) mine.push_back(b * o_.block_rows + r);
    }
    return mine;
  }

  void begin_pass(const std::vector<int64_t>& order, size_t from, size_t) const override {
    stop();
    std::lock_guard<std::mutex> lock(m_);
    plan_.clear();
    for (size_t i = from; i < order.size(); ++i) {
      int64_t b = order[i] / o_.block_rows;
      if (plan_.empty() || plan_.back() != b) plan_.push_back(b);
    }
    queue_.clear();
    held_.clear();
    error_ = nullptr;
    stop_ = false;
    thread_ = std::thread([this] { read_ahead(); });
  }

  TensorData gather(const std::vector<int64_t>& order, size_t begin, size_t end) const override {
    std::vector<torch::Tensor> xs, ys;
    size_t i = begin;
    while (i < end) {
      const int64_t b = order[i] / o_.block_rows;
      std::vector<int64_t> rows;
      for (; i < end && order[i] / o_.block_rows == b; ++i)
        rows.push_back(order[i] - b * o_.block_rows);
      const TensorData& blk = block(b);
      auto idx = torch::tensor(rows, torch::kInt64);
      xs.push_back(blk.x.index_select(0, idx));
      ys.push_back(blk.y.index_select(0, idx));
    }
    if (xs.size() == 1) return {xs[0], ys[0]};
    return {torch::cat(xs), torch::cat(ys)};
  }

 private:
  static std::vector<int64_t> identity(int64_t n) {
    std::vector<int64_t> v(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) v[static_cast<size_t>(i)] = i;
    return v;
  }
  int64_t blocks() const { return (n_ + o_.block_rows - 1) / o_.block_rows; }
  int64_t block_len(int64_t b) const { return std::min(o_.block_rows, n_ - b * o_.block_rows); }
  TensorData read_block(int64_t b) const {
    const int64_t begin = first_ + b * o_.block_rows;
    return reader_->read(begin, begin + block_len(b));
  }

  // The reader thread: the pass's blocks in order, at most `ahead` queued.
  void read_ahead() const {
    for (size_t k = 0;; ++k) {
      int64_t b;
      {
        std::unique_lock<std::mutex> lock(m_);
        cv_.wait(lock, [&] { return stop_ || queue_.size() < static_cast<size_t>(o_.ahead); });
        if (stop_ || k >= plan_.size()) return;
        b = plan_[k];
      }
      try {
        TensorData d = read_block(b);
        std::lock_guard<std::mutex> lock(m_);
        queue_.emplace_back(b, std::move(d));
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
  // the pass's order) read here. The last two blocks stay held: a batch may span two.
  const TensorData& block(int64_t b) const {
    std::unique_lock<std::mutex> lock(m_);
    for (auto& h : held_)
      if (h.first == b) return h.second;
    bool planned = std::find(plan_.begin(), plan_.end(), b) != plan_.end() && thread_.joinable();
    TensorData d;
    if (planned) {
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
      d = read_block(b);
      lock.lock();
    }
    held_.emplace_back(b, std::move(d));
    if (held_.size() > 2) held_.pop_front();
    return held_.back().second;
  }

  void stop() const {
    {
      std::lock_guard<std::mutex> lock(m_);
      stop_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

  std::shared_ptr<const RowReader> reader_;
  int64_t first_, n_;
  StreamOptions o_;
  mutable std::mutex m_;
  mutable std::condition_variable cv_;
  mutable std::vector<int64_t> plan_;  ///< this pass's blocks, in reading order
  mutable std::deque<std::pair<int64_t, TensorData>> queue_, held_;
  mutable std::exception_ptr error_;
  mutable bool stop_ = false;
  mutable std::thread thread_;
};

}  // namespace

std::shared_ptr<const Samples> streamed_rows(std::shared_ptr<const RowReader> reader, int64_t first,
                                             int64_t last, const StreamOptions& o) {
  return std::make_shared<StreamedRows>(std::move(reader), first, last, o);
}

StreamOptions stream_options_for(int64_t row_bytes, int64_t max_bytes, int ahead) {
  StreamOptions o;
  o.ahead = ahead;
  // In memory at once: the two held blocks, `ahead` queued and one being read.
  const int64_t blocks = ahead + 3;
  o.block_rows = std::max<int64_t>(1, max_bytes / std::max<int64_t>(1, row_bytes) / blocks);
  return o;
}

}  // namespace itwin::data
