// Data sets as tensors: format readers -> tensors -> split -> normalize.
#include "itwin/data/dataset.hpp"

#include <cmath>
#include <filesystem>
#include <random>

#include "hdf5_dataset.hpp"
#include "hdf5_stream.hpp"
#include "itwin/data/array.hpp"
#include "itwin/util/error.hpp"
#include "itwin/util/strings.hpp"
#include "synthetic.hpp"
#include "windows.hpp"

namespace fs = std::filesystem;

namespace itwin::data {
namespace {

constexpr int64_t kMaxClasses =
    1000000;  // a classifier head of more classes is a label error, not a task

std::string find_file(const std::string& dir, const std::string& base, bool required,
                      const std::string& who) {
  for (const auto& name : {base + ".gz", base}) {
    if (fs::exists(fs::path(dir) / name)) return (fs::path(dir) / name).string();
  }
  if (required) {
    throw RuntimeError(who + ": no file '" + base + "[.gz]' in '" + dir + "'" +
                       (fs::is_directory(dir) ? "" : " (the directory does not exist)"));
  }
  return "";
}

uint64_t mix(uint64_t x) {  // splitmix64: decorrelates (seed, epoch) pairs
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

int64_t count_of(double v, int64_t n) {
  return v < 1 ? static_cast<int64_t>(std::llround(v * static_cast<double>(n)))
               : static_cast<int64_t>(v);
}

TensorData take(const TensorData& d, const std::vector<int64_t>& idx, size_t b, size_t e) {
  return gather(d, idx, b, e);
}

struct Parts {
  TensorData train, val, test;
};

// Per-channel (images: dim 1 of [N,C,H,W]) or per-feature statistics.
void normalize(Parts& s, const config::DatasetSpec& spec, const std::string& who) {
  if (spec.normalize == config::NormalizeKind::None) return;
  auto& x = s.train.x;
  int64_t c = x.dim() >= 2 ? x.size(1) : 1;
  std::vector<int64_t> view(static_cast<size_t>(x.dim()), 1);
  if (x.dim() >= 2) view[1] = c;
  torch::Tensor mean, std;
  if (spec.normalize == config::NormalizeKind::Fixed) {
    if (static_cast<int64_t>(spec.mean.size()) != c && spec.mean.size() != 1) {
      throw RuntimeError(who + ": normalize lists " + std::to_string(spec.mean.size()) +
                         " means but the data has " + std::to_string(c) + " channels/features");
    }
    mean = torch::tensor(std::vector<float>(spec.mean.begin(), spec.mean.end()));
    std = torch::tensor(std::vector<float>(spec.std.begin(), spec.std.end()));
  } else {
    std::vector<int64_t> dims;
    for (int64_t d = 0; d < x.dim(); ++d)
      if (d != 1 || x.dim() < 2) dims.push_back(d);
    mean = x.mean(dims);
    std = x.std(dims).clamp_min(1e-8);
  }
  if (mean.numel() > 1) {
    mean = mean.view(view);
    std = std.view(view);
  }
  // In place: every split's x is its own tensor (gathered or converted), and
  // two temporaries of a data set's size are page faults this start pays for.
  for (TensorData* t : {&s.train, &s.val, &s.test}) {
    if (t->size() > 0) t->x.sub_(mean).div_(std);
  }
}

}  // namespace

namespace {
torch::Dtype torch_dtype(DType d) {
  static const std::pair<DType, torch::Dtype> map[] = {
      {DType::U8, torch::kUInt8},    {DType::I8, torch::kInt8},   {DType::I16, torch::kInt16},
      {DType::I32, torch::kInt32},   {DType::I64, torch::kInt64}, {DType::F32, torch::kFloat32},
      {DType::F64, torch::kFloat64}, {DType::Bool, torch::kBool}};
  for (const auto& [ours, theirs] : map)
    if (ours == d) return theirs;
  return torch::kFloat32;
}
}  // namespace

torch::Tensor to_tensor(const Array& a) {
  return torch::from_blob(const_cast<unsigned char*>(a.bytes.data()), a.shape,
                          torch::TensorOptions().dtype(torch_dtype(a.dtype)))
      .clone();
}

torch::Tensor to_tensor(Array&& a) {
  if (a.bytes.empty()) return to_tensor(static_cast<const Array&>(a));
  auto* owned = new std::vector<unsigned char>(std::move(a.bytes));
  return torch::from_blob(
      owned->data(), a.shape, [owned](void*) { delete owned; },
      torch::TensorOptions().dtype(torch_dtype(a.dtype)));
}

std::vector<int64_t> permutation(int64_t n, uint64_t seed, uint64_t epoch) {
  std::vector<int64_t> p(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) p[static_cast<size_t>(i)] = i;
  std::mt19937_64 rng(mix(seed ^ mix(epoch + 1)));
  for (int64_t i = n - 1; i > 0; --i) {  // Fisher-Yates with the raw engine: same on every platform
    auto j = static_cast<int64_t>(rng() % static_cast<uint64_t>(i + 1));
    std::swap(p[static_cast<size_t>(i)], p[static_cast<size_t>(j)]);
  }
  return p;
}

std::vector<int64_t> epoch_indices(int64_t n, bool shuffle, uint64_t seed, uint64_t epoch, int rank,
                                   int world, bool drop_last) {
  std::vector<int64_t> all;
  if (shuffle) {
    all = permutation(n, seed, epoch);
  } else {
    for (int64_t i = 0; i < n; ++i) all.push_back(i);
  }
  int64_t per_rank = drop_last ? n / world : (n + world - 1) / world;
  int64_t total = per_rank * world;
  if (total > n) {  // pad by wrapping, as DistributedSampler does
    for (int64_t i = 0; static_cast<int64_t>(all.size()) < total; ++i)
      all.push_back(all[static_cast<size_t>(i % n)]);
  }
  std::vector<int64_t> mine;
  for (int64_t i = rank; i < total; i += world) mine.push_back(all[static_cast<size_t>(i)]);
  return mine;
}

TensorData gather(const TensorData& d, const std::vector<int64_t>& order, size_t begin,
                  size_t end) {
  auto idx = torch::from_blob(const_cast<int64_t*>(order.data() + begin),
                              {static_cast<int64_t>(end - begin)}, torch::kInt64);
  return {d.x.index_select(0, idx), d.y.index_select(0, idx)};
}

namespace {

struct Loaded {
  TensorData pool, test;
  bool pixels = false;  ///< uint8 x is pixels: to float / 255 once split (only the kept samples)
  bool integral_labels = true;
  std::string description;
};

// Pixels stay uint8 until the split has chosen the samples to keep
// (Loaded::pixels): converting 60,000 images to float first, of which a
// `limit` may keep a few thousand, cost most of a Fashion-MNIST run's start.
Loaded read_idx_dir(const config::DatasetSpec& spec, const std::string& who) {
  Loaded l;
  auto images = to_tensor(read_idx(find_file(spec.path, "train-images-idx3-ubyte", true, who)));
  auto labels = to_tensor(read_idx(find_file(spec.path, "train-labels-idx1-ubyte", true, who)));
  l.pixels = true;
  auto as_x = [](torch::Tensor t) {
    return t.scalar_type() == torch::kUInt8 ? t.unsqueeze(1)
                                            : t.to(torch::kFloat32).div_(255.0).unsqueeze(1);
  };
  l.pool = {as_x(images), labels.to(torch::kInt64)};
  std::string ti = find_file(spec.path, "t10k-images-idx3-ubyte", false, who);
  if (!ti.empty()) {
    auto t_images = to_tensor(read_idx(ti));
    auto t_labels = to_tensor(read_idx(find_file(spec.path, "t10k-labels-idx1-ubyte", true, who)));
    l.test = {as_x(t_images), t_labels.to(torch::kInt64)};
  }
  l.description = "idx " + spec.path;
  return l;
}

Loaded read_arrays(const config::DatasetSpec& spec, const std::string& who) {
  Loaded l;
  Array x, y;
  if (spec.format == config::DataFormat::Npz) {
    auto arrays = read_npz(spec.path);
    std::vector<std::string> keys;
    for (const auto& kv : arrays) keys.push_back(kv.first);
    for (const auto& k : {spec.x_key, spec.y_key}) {
      if (!arrays.count(k)) {
        throw RuntimeError(who + ": " + spec.path + " has no array '" + k + "'" +
                           did_you_mean(k, keys) + "; it has: " + join(keys, ", "));
      }
    }
    x = arrays[spec.x_key];
    y = arrays[spec.y_key];
  } else {
    x = read_npy(spec.path);
    y = read_npy(spec.labels);
  }
  l.integral_labels = dtype_is_integral(y.dtype);
  l.pool = {to_tensor(x).to(torch::kFloat32), to_tensor(y)};
  l.description = std::string(config::data_format_catalog().name(spec.format)) + " " + spec.path;
  return l;
}

Loaded read_csv_table(const config::DatasetSpec& spec) {
  Loaded l;
  auto feats = read_csv(spec.path, spec.delimiter[0], spec.features, spec.targets);
  auto targs = read_csv(spec.path, spec.delimiter[0], spec.targets);
  auto y = to_tensor(targs.values);
  l.integral_labels = torch::equal(y, y.round());
  l.pool = {to_tensor(feats.values).to(torch::kFloat32), y};
  l.description = "csv " + spec.path + " (" + std::to_string(feats.names.size()) + " features)";
  return l;
}

Loaded read_format(const config::DatasetSpec& spec, uint64_t seed, const std::string& who) {
  switch (spec.format) {
    case config::DataFormat::Idx:
      return read_idx_dir(spec, who);
    case config::DataFormat::Npz:
    case config::DataFormat::Npy:
      return read_arrays(spec, who);
    case config::DataFormat::Csv:
      return read_csv_table(spec);
    case config::DataFormat::Hdf5: {
      Loaded l;
      auto a = read_hdf5_dataset(spec, who);
      l.pool = {to_tensor(a.x).to(torch::kFloat32), to_tensor(a.y)};
      l.integral_labels = a.y.dtype == DType::I64;
      l.description = a.description;
      return l;
    }
    case config::DataFormat::Synthetic: {
      Loaded l;
      auto g = make_synthetic(spec.synthetic, seed);
      l.pool = {g.x, g.y};
      l.integral_labels = spec.synthetic.task == config::SyntheticTask::Classification;
      l.description =
          std::string("synthetic ") + config::synthetic_task_catalog().name(spec.synthetic.task);
      return l;
    }
    case config::DataFormat::Netcdf:  // windows, never read whole: load_windows()
      break;
  }
  throw RuntimeError(who + ": unhandled data format");
}

}  // namespace

DataSplits load_dataset(const config::DatasetSpec& spec, uint64_t seed,
                        const std::string& step_name) {
  const std::string who = "step '" + step_name + "' (" +
                          config::data_format_catalog().name(spec.format) +
                          (spec.path.empty() ? "" : " " + spec.path) + ")";
  if (spec.format == config::DataFormat::Netcdf) return load_windows(spec, seed, who);
  if (spec.format == config::DataFormat::Hdf5 && spec.stream.mode != config::StreamMode::Off)
    return load_hdf5_blocks(spec, seed, who);  // in blocks: data larger than memory
  DataSplits s;
  Loaded loaded = read_format(spec, seed, who);
  TensorData pool = std::move(loaded.pool), test = std::move(loaded.test);
  const bool integral_labels = loaded.integral_labels;
  s.description = loaded.description;
  if (pool.x.size(0) != pool.y.size(0)) {
    throw RuntimeError(who + ": features have " + std::to_string(pool.x.size(0)) +
                       " samples but labels have " + std::to_string(pool.y.size(0)));
  }

  // Classification or regression, and the label layout each needs.
  switch (spec.task) {
    case config::TaskKind::Classification:
      s.classification = true;
      break;
    case config::TaskKind::Regression:
      s.classification = false;
      break;
    case config::TaskKind::Auto:
      s.classification = integral_labels;
      break;
  }
  auto shape_labels = [&](torch::Tensor y) {
    if (s.classification) {
      if (y.dim() == 2 && y.size(1) == 1) y = y.squeeze(1);
      if (y.dim() != 1)
        throw RuntimeError(who + ": classification labels must be one integer per sample");
      auto yd = y.to(torch::kFloat64);
      if (!torch::equal(yd, yd.round()) || yd.min().item<double>() < 0) {
        throw RuntimeError(who +
                           ": classification labels must be integers >= 0 (set task: regression "
                           "for real-valued targets)");
      }
      return y.to(torch::kInt64);
    }
    if (y.dim() == 1) y = y.unsqueeze(1);
    return y.to(torch::kFloat32);
  };
  pool.y = shape_labels(pool.y);
  if (test.size() > 0) test.y = shape_labels(test.y);

  // Shuffle once (seeded), cut off the limit, then split.
  int64_t n = pool.size();
  std::vector<int64_t> order =
      spec.shuffle ? permutation(n, seed, ~0ull) : epoch_indices(n, false, 0, 0);
  int64_t n_val = count_of(spec.split.validation, n),
          n_test = test.size() > 0 ? 0 : count_of(spec.split.test, n);
  if (n_val + n_test >= n) {
    throw RuntimeError(who + ": the split holds out " + std::to_string(n_val + n_test) + " of " +
                       std::to_string(n) + " samples, leaving none for training");
  }
  size_t v_end = static_cast<size_t>(n_val), t_end = v_end + static_cast<size_t>(n_test);
  Parts parts;
  parts.val = n_val > 0 ? take(pool, order, 0, v_end) : TensorData{};
  if (n_test > 0) test = take(pool, order, v_end, t_end);
  size_t train_end = order.size();
  if (spec.limit > 0) train_end = std::min(order.size(), t_end + static_cast<size_t>(spec.limit));
  parts.train = take(pool, order, t_end, train_end);
  parts.test = test;
  pool = {};
  if (loaded.pixels) {
    for (TensorData* t : {&parts.train, &parts.val, &parts.test})
      if (t->size() > 0 && t->x.scalar_type() == torch::kUInt8)
        t->x = t->x.to(torch::kFloat32).div_(255.0);
  }

  s.sample_shape = parts.train.x.sizes().slice(1).vec();
  if (s.classification) {
    int64_t mx = parts.train.y.max().item<int64_t>();
    for (TensorData* t : {&parts.val, &parts.test}) {
      if (t->size() > 0) mx = std::max(mx, t->y.max().item<int64_t>());
    }
    if (mx >= kMaxClasses) {
      throw RuntimeError(who + ": a class label of " + std::to_string(mx) +
                         " (labels are class numbers 0 to " + std::to_string(kMaxClasses - 1) +
                         "); for real-valued targets set task: regression");
    }
    s.num_classes = mx + 1;
  } else {
    s.num_targets = parts.train.y.size(1);
  }
  s.shuffle = spec.shuffle;
  normalize(parts, spec, who);
  s.train = std::move(parts.train);
  s.val = std::move(parts.val);
  s.test = std::move(parts.test);
  return s;
}

}  // namespace itwin::data
