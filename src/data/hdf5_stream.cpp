// `format: hdf5` in blocks: read from the file as training reaches them
// (stream: true, or auto when the data do not fit max_memory), or held in
// memory (auto when they fit), the same samples in the same order either way.
#include "hdf5_stream.hpp"

#include <cmath>

#include "hdf5_dataset.hpp"
#include "itwin/data/datacube.hpp"
#include "itwin/data/hdf5.hpp"
#include "itwin/data/stream.hpp"
#include "itwin/util/strings.hpp"

namespace itwin::data {
namespace {

struct Segment {
  int64_t begin = 0, len = 0;  ///< file rows [begin, begin + len)
};

struct XBlock : Block {
  torch::Tensor x, y;
  bool view = false;  ///< of data held elsewhere
  int64_t bytes() const override { return view ? 0 : static_cast<int64_t>(x.nbytes()); }
};

// The rows of x, from the file or from memory; y is held whole (one row of
// labels or conditions per sample).
struct Rows {
  std::shared_ptr<Hdf5File> file;
  std::string x_key, who;
  torch::Tensor held;       ///< x, all rows, normalised (auto that fits) or undefined
  torch::Tensor y;          ///< all rows
  torch::Tensor mean, std;  ///< normalisation (undefined: none)

  std::vector<int64_t> sample;       ///< shape of one row of x
  std::vector<float> mean_v, std_v;  ///< mean and std, one per channel (or one)

  // Raw rows [begin, end) of the file as float32, checked finite. It runs on
  // the reader thread beside training, so it uses no torch operation: those
  // would start a second OpenMP team of the intra-op size on a node whose
  // cores the trainer's team already fills.
  torch::Tensor raw(int64_t begin, int64_t end) const {
    std::vector<int64_t> shape{end - begin};
    shape.insert(shape.end(), sample.begin(), sample.end());
    torch::Tensor x = torch::empty(shape, torch::kFloat32);
    float* p = x.data_ptr<float>();
    file->read_rows_float(x_key, begin, end, p, memory_budget());
    const int64_t n = x.numel();
    for (int64_t i = 0; i < n; ++i) {
      if (!std::isfinite(p[i])) {
        const int64_t row = begin + i / std::max<int64_t>(1, n / (end - begin));
        throw RuntimeError(who + ": " + file->path() + ": dataset '" + x_key + "' has a NaN or " +
                           "infinite value in row " + std::to_string(row) +
                           ": inputs must be finite (fix the file or leave the row out)");
      }
    }
    return x;
  }
  torch::Tensor normalised(torch::Tensor x) const { return mean.defined() ? (x - mean) / std : x; }
  // normalised() in place, without torch (the reader thread): the same float
  // operations, so a streamed block equals the held one bit for bit.
  torch::Tensor normalised_here(torch::Tensor x) const {
    if (mean_v.empty()) return x;
    float* p = x.data_ptr<float>();
    const int64_t rows = x.size(0), channels = static_cast<int64_t>(mean_v.size());
    const int64_t inner = rows == 0 ? 0 : x.numel() / rows / channels;
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < channels; ++c) {
        const float m = mean_v[static_cast<size_t>(c)], sd = std_v[static_cast<size_t>(c)];
        for (int64_t j = 0; j < inner; ++j, ++p) *p = (*p - m) / sd;
      }
    return x;
  }
};

class Hdf5Blocks : public BlockSource {
 public:
  Hdf5Blocks(std::shared_ptr<const Rows> rows, std::vector<Segment> segs)
      : rows_(std::move(rows)), segs_(std::move(segs)) {}
  int64_t blocks() const override { return static_cast<int64_t>(segs_.size()); }
  int64_t block_size(int64_t b) const override { return segs_[static_cast<size_t>(b)].len; }
  std::shared_ptr<const Block> read(int64_t b) const override {
    const Segment& s = segs_[static_cast<size_t>(b)];
    auto blk = std::make_shared<XBlock>();
    if (rows_->held.defined()) {
      blk->x = rows_->held.narrow(0, s.begin, s.len);
      blk->view = true;
    } else {
      blk->x = rows_->normalised_here(rows_->raw(s.begin, s.begin + s.len));
    }
    blk->y = rows_->y.narrow(0, s.begin, s.len);
    return blk;
  }
  TensorData cut(const Block& block, const std::vector<int64_t>& rows) const override {
    const auto& b = static_cast<const XBlock&>(block);
    auto idx = torch::tensor(rows, torch::kInt64);
    return {b.x.index_select(0, idx), b.y.index_select(0, idx)};
  }
  const std::vector<Segment>& segments() const { return segs_; }

 private:
  std::shared_ptr<const Rows> rows_;
  std::vector<Segment> segs_;
};

int64_t count_of(double v, int64_t n) {
  return v < 1 ? static_cast<int64_t>(std::llround(v * static_cast<double>(n)))
               : static_cast<int64_t>(v);
}

// The file's blocks in a seeded order, dealt to validation, test, training.
struct Dealt {
  std::vector<Segment> val, test, train;
};
Dealt deal(int64_t n, int64_t block, const config::DatasetSpec& spec, uint64_t seed,
           const std::string& who) {
  const int64_t nb = (n + block - 1) / block;
  const int64_t n_val = count_of(spec.split.validation, n), n_test = count_of(spec.split.test, n);
  if (n_val + n_test >= n) {
    throw DataMismatch(who + ": the split holds out " + std::to_string(n_val + n_test) + " of " +
                       std::to_string(n) + " samples, leaving none for training");
  }
  std::vector<int64_t> order =
      spec.shuffle ? permutation(nb, seed, ~0ull) : epoch_indices(nb, false, 0, 0);
  int64_t want[3] = {
      n_val, n_test,
      spec.limit > 0 ? std::min(spec.limit, n - n_val - n_test) : n - n_val - n_test};
  std::vector<Segment>* parts[3] = {nullptr, nullptr, nullptr};
  Dealt d;
  parts[0] = &d.val;
  parts[1] = &d.test;
  parts[2] = &d.train;
  size_t p = 0;
  for (int64_t b : order) {
    int64_t at = b * block;
    const int64_t end = std::min(n, at + block);
    while (at < end && p < 3) {
      const int64_t take = std::min(end - at, want[p]);
      if (take > 0) parts[p]->push_back({at, take});
      at += take;
      want[p] -= take;
      if (want[p] == 0) ++p;
    }
  }
  return d;
}

// Per-channel statistics of the training rows (dim 1 of [N, C, ...]), read
// block by block as they would be streamed, so that both residencies agree.
void standard_stats(const Rows& rows, const std::vector<Segment>& train, int64_t channels,
                    torch::Tensor& mean, torch::Tensor& std) {
  auto s = torch::zeros({channels}, torch::kFloat64),
       s2 = torch::zeros({channels}, torch::kFloat64);
  double count = 0;
  for (const auto& seg : train) {
    torch::Tensor x = rows.held.defined() ? rows.held.narrow(0, seg.begin, seg.len)
                                          : rows.raw(seg.begin, seg.begin + seg.len);
    x = x.to(torch::kFloat64).reshape({seg.len, channels, -1});
    const std::vector<int64_t> dims{0, 2};
    s += x.sum(dims);
    s2 += (x * x).sum(dims);
    count += static_cast<double>(x.size(0) * x.size(2));
  }
  mean = s / count;
  std = ((s2 - count * mean * mean) / std::max(1.0, count - 1)).clamp_min(0).sqrt().clamp_min(1e-8);
  mean = mean.to(torch::kFloat32);
  std = std.to(torch::kFloat32);
}

}  // namespace

DataSplits load_hdf5_blocks(const config::DatasetSpec& spec, uint64_t seed,
                            const std::string& who) {
  const config::StreamSpec& st = spec.stream;
  Hdf5Arrays a = read_hdf5_dataset(spec, who, /*read_x=*/false);
  const int64_t n = a.x_shape[0];
  std::vector<int64_t> sample(a.x_shape.begin() + 1, a.x_shape.end());
  int64_t row_floats = 1;
  for (auto d : sample) row_floats *= d;
  const int64_t row_bytes = row_floats * 4;
  const int64_t block = st.block;
  const int64_t budget = st.max_memory > 0 ? st.max_memory : static_cast<int64_t>(memory_budget());
  const int64_t y_bytes = n * (a.y.shape.size() == 2 ? a.y.shape[1] : 1) * 8;
  // Blocks at once: `prefetch` queued or being read, the one in use.
  const int64_t need = (st.prefetch + 1) * block * row_bytes + y_bytes;
  if (need > budget) {
    throw DataMismatch(
        who + ": max_memory " + format_bytes(static_cast<double>(budget)) + " cannot hold " +
        std::to_string(st.prefetch + 1) + " blocks of " + std::to_string(block) + " rows (" +
        format_bytes(static_cast<double>(block * row_bytes)) + " each" +
        (y_bytes > 0 ? ", and y: " + format_bytes(static_cast<double>(y_bytes)) : std::string()) +
        "): lower block_rows or prefetch, or raise max_memory");
  }
  const bool in_memory = st.mode == config::StreamMode::Auto && n * row_bytes + y_bytes <= budget;

  // Labels or conditions, whole.
  DataSplits s;
  torch::Tensor y = to_tensor(a.y);
  const bool integral = a.y.dtype == DType::I64;
  s.classification = spec.task == config::TaskKind::Auto
                         ? integral
                         : spec.task == config::TaskKind::Classification;
  if (s.classification) {
    if (y.size(1) != 1)
      throw DataMismatch(who + ": classification labels must be one integer per sample (y: " +
                         join(spec.y_keys, ", ") + ")");
    y = y.squeeze(1);
    auto yd = y.to(torch::kFloat64);
    if (!torch::equal(yd, yd.round()) || yd.min().item<double>() < 0)
      throw DataMismatch(who +
                         ": classification labels must be integers >= 0 (set task: "
                         "regression for real-valued targets)");
    y = y.to(torch::kInt64);
    s.num_classes = y.max().item<int64_t>() + 1;
  } else {
    y = y.to(torch::kFloat32);
    s.num_targets = y.size(1);
  }

  auto rows = std::make_shared<Rows>();
  rows->file = std::make_shared<Hdf5File>(spec.path);
  rows->x_key = spec.x_key;
  rows->sample = sample;
  rows->who = who;
  rows->y = y;
  if (in_memory) rows->held = rows->raw(0, n);
  Dealt d = deal(n, block, spec, seed, who);

  // Normalisation from the training rows (as the in-memory path: per channel, dim 1).
  const int64_t channels = sample.empty() ? 1 : sample[0];
  std::vector<int64_t> view(sample.size() + 1, 1);
  if (!sample.empty()) view[1] = channels;
  switch (spec.normalize) {
    case config::NormalizeKind::None:
      break;
    case config::NormalizeKind::Fixed: {
      if (static_cast<int64_t>(spec.mean.size()) != channels && spec.mean.size() != 1)
        throw DataMismatch(who + ": normalize lists " + std::to_string(spec.mean.size()) +
                           " means but the data has " + std::to_string(channels) +
                           " channels/features");
      rows->mean = torch::tensor(std::vector<float>(spec.mean.begin(), spec.mean.end()));
      rows->std = torch::tensor(std::vector<float>(spec.std.begin(), spec.std.end()));
      break;
    }
    case config::NormalizeKind::Standard:
      standard_stats(*rows, d.train, channels, rows->mean, rows->std);
      break;
  }
  if (rows->mean.defined()) {  // one (or each channel's) for normalised_here
    auto m = rows->mean.contiguous(), sd = rows->std.contiguous();
    const int64_t k = std::max(m.numel(), sd.numel());
    for (int64_t c = 0; c < k; ++c) {
      rows->mean_v.push_back(m.data_ptr<float>()[m.numel() == 1 ? 0 : c]);
      rows->std_v.push_back(sd.data_ptr<float>()[sd.numel() == 1 ? 0 : c]);
    }
  }
  if (rows->mean.defined() && rows->mean.numel() > 1) {
    rows->mean = rows->mean.view(view);
    rows->std = rows->std.view(view);
  }
  if (in_memory) rows->held = rows->normalised(rows->held);

  auto split = [&](std::vector<Segment> segs) {
    if (segs.empty()) return Split();
    return Split(block_samples(std::make_shared<Hdf5Blocks>(rows, std::move(segs)), st.prefetch));
  };
  s.train = split(std::move(d.train));
  s.val = split(std::move(d.val));
  s.test = split(std::move(d.test));
  s.sample_shape = sample;
  s.shuffle = spec.shuffle;
  s.description = a.description + "; in blocks of " + std::to_string(block) + " rows, " +
                  (in_memory ? "held in memory" : "streamed from disk") + " (max_memory " +
                  format_bytes(static_cast<double>(budget)) + ")";
  return s;
}

}  // namespace itwin::data
