// `format: netcdf` in blocks of time steps (stream: true | auto): each block
// the windows whose target falls in a span of `block_steps` steps, its inputs
// read from the file (all catchments, the span plus the windows' history)
// when training reaches it, or cut from the cube held in memory when it fits.
// The same windows and order either way (itwin/data/stream.hpp).
#include <algorithm>
#include <cmath>

#include "itwin/data/datacube.hpp"
#include "itwin/data/netcdf.hpp"
#include "itwin/data/stream.hpp"
#include "itwin/util/strings.hpp"
#include "windows.hpp"

namespace itwin::data {
namespace {

struct CubeBlock : Block {
  std::shared_ptr<const WindowCube> cube;        ///< the whole cube (held) or the block's span
  int64_t offset = 0;                            ///< the span's first time step
  const std::vector<Window>* windows = nullptr;  ///< the block's, in the source
  bool view = false;
  int64_t bytes() const override {
    if (view) return 0;
    return static_cast<int64_t>(
        (cube->dynamic.size() + cube->statics.size() + cube->targets.size()) * sizeof(float));
  }
};

// Variable `name` [T, C] as floats, rows [t0, t1).
std::vector<float> rows_of(const NetcdfFile& f, const std::string& name, int64_t t0, int64_t t1) {
  NcRead r = f.read_rows(name, t0, t1, memory_budget());
  std::vector<float> v(static_cast<size_t>(r.array.numel()));
  for (size_t i = 0; i < v.size(); ++i)
    v[i] = static_cast<float>(r.array.at(static_cast<int64_t>(i)));
  return v;
}

struct Source {
  std::shared_ptr<NetcdfFile> file;  ///< null: the cube is held whole
  std::shared_ptr<const WindowCube> cube;
  std::string who;
};

class WindowBlocks : public BlockSource {
 public:
  WindowBlocks(std::shared_ptr<const Source> src, std::vector<std::vector<Window>> blocks)
      : src_(std::move(src)), blocks_(std::move(blocks)) {}
  int64_t blocks() const override { return static_cast<int64_t>(blocks_.size()); }
  int64_t block_size(int64_t b) const override {
    return static_cast<int64_t>(blocks_[static_cast<size_t>(b)].size());
  }
  std::shared_ptr<const Block> read(int64_t b) const override {
    auto blk = std::make_shared<CubeBlock>();
    blk->windows = &blocks_[static_cast<size_t>(b)];
    if (!src_->file) {
      blk->cube = src_->cube;
      blk->view = true;
      return blk;
    }
    const WindowCube& all = *src_->cube;
    const auto& ws = blocks_[static_cast<size_t>(b)];
    int64_t lo = all.n_time, hi = 0;
    for (const auto& w : ws) {
      lo = std::min<int64_t>(lo, w.time - all.lag - all.seq_length + 1);
      hi = std::max<int64_t>(hi, w.time + 1);
    }
    auto part = std::make_shared<WindowCube>();
    part->n_time = hi - lo;
    part->n_catchments = all.n_catchments;
    part->seq_length = all.seq_length;
    part->lag = all.lag;
    part->dynamic_names = all.dynamic_names;
    part->static_names = all.static_names;
    part->target_names = all.target_names;
    part->statics = all.statics;
    const size_t fd = all.dynamic_names.size(), k = all.target_names.size();
    const int64_t nt = part->n_time, nc = all.n_catchments;
    part->dynamic.resize(static_cast<size_t>(nt * nc) * fd);
    for (size_t f = 0; f < fd; ++f) {
      std::vector<float> v = rows_of(*src_->file, all.dynamic_names[f], lo, hi);
      const double m = all.dynamic_scaling.mean[f], sd = all.dynamic_scaling.std[f];
      for (int64_t t = 0; t < nt; ++t)
        for (int64_t c = 0; c < nc; ++c)
          part->dynamic[static_cast<size_t>(c * nt + t) * fd + f] =
              static_cast<float>((v[static_cast<size_t>(t * nc + c)] - m) / sd);
    }
    part->targets.resize(static_cast<size_t>(nt * nc) * k);
    for (int64_t c = 0; c < nc; ++c)
      std::copy_n(all.targets.data() + static_cast<size_t>(c * all.n_time + lo) * k,
                  static_cast<size_t>(nt) * k,
                  part->targets.data() + static_cast<size_t>(c * nt) * k);
    blk->cube = std::move(part);
    blk->offset = lo;
    return blk;
  }
  TensorData cut(const Block& block, const std::vector<int64_t>& rows) const override {
    const auto& b = static_cast<const CubeBlock&>(block);
    const WindowCube& cube = *b.cube;
    const auto n = static_cast<int64_t>(rows.size());
    const int64_t l = cube.seq_length, f = cube.features(), k = cube.num_targets();
    TensorData out{torch::empty({n, l, f}), torch::empty({n, k})};
    float* x = out.x.data_ptr<float>();
    float* y = out.y.data_ptr<float>();
    const auto& mine = *b.windows;
    for (int64_t r : rows) {
      Window w = mine[static_cast<size_t>(r)];
      w.time = static_cast<int32_t>(w.time - b.offset);
      cube.copy(w, x, y);
      x += l * f;
      y += k;
    }
    return out;
  }

 private:
  std::shared_ptr<const Source> src_;
  std::vector<std::vector<Window>> blocks_;
};

// Mean and std of each dynamic input over the training part, read in spans of
// `steps` time steps, in the order (and with the arithmetic) of the in-memory
// path, so both residencies normalise alike; a missing input is an error.
Scaling stream_scaling(const NetcdfFile& f, const WindowSplits& w, const config::NetcdfSpec& n,
                       int64_t steps, const std::string& who) {
  Scaling s;
  const WindowCube& cube = w.cube;
  const int64_t nc = cube.n_catchments, t0 = 0, t1 = w.train_end;
  const bool on = n.normalize_inputs == config::NormalizeKind::Standard;
  for (const auto& name : cube.dynamic_names) {
    double sum = 0, sum2 = 0, mean = 0, sd = 1;
    int64_t count = 0;
    for (int pass = 0; pass < 2; ++pass) {
      for (int64_t b = 0; b < cube.n_time; b += steps) {
        const int64_t e = std::min(cube.n_time, b + steps);
        std::vector<float> v = rows_of(f, name, b, e);
        if (pass == 0) {
          for (size_t i = 0; i < v.size(); ++i) {
            if (!std::isnan(v[i])) continue;
            const auto at = static_cast<int64_t>(i);
            throw RuntimeError(
                who + ": " + f.path() + ": variable '" + name +
                "' (dynamic input) has a missing value (NaN or fill value) at " + n.time_dim +
                " index " + std::to_string(b + at / nc) + ", " + n.space_dim + " index " +
                std::to_string(at % nc) +
                ": inputs must be complete (fill the gaps or leave the variable out)");
          }
        }
        if (!on) continue;
        for (int64_t t = std::max(b, t0); t < std::min(e, t1); ++t) {
          for (int64_t c : w.train_catchments) {
            const float x = v[static_cast<size_t>((t - b) * nc + c)];
            if (pass == 0) {
              sum += x;
              ++count;
            } else {
              sum2 += (x - mean) * (x - mean);
            }
          }
        }
      }
      if (pass == 0) mean = count > 0 ? sum / static_cast<double>(count) : 0.0;
    }
    if (on) {
      sd = count > 1 ? std::sqrt(sum2 / static_cast<double>(count - 1)) : 0.0;
      if (!(sd > 1e-12 * std::max(1.0, std::fabs(mean)))) sd = 1.0;
    } else {
      mean = 0;
    }
    s.mean.push_back(mean);
    s.std.push_back(sd);
  }
  return s;
}

// A split's windows grouped by the span of `steps` steps their target falls in.
std::vector<std::vector<Window>> by_span(std::vector<Window> ws, int64_t steps) {
  std::stable_sort(ws.begin(), ws.end(), [&](const Window& a, const Window& b) {
    return a.time / steps < b.time / steps;
  });
  std::vector<std::vector<Window>> out;
  for (size_t i = 0; i < ws.size(); ++i) {
    if (i == 0 || ws[i].time / steps != ws[i - 1].time / steps) out.emplace_back();
    out.back().push_back(ws[i]);
  }
  return out;
}

}  // namespace

DataSplits load_window_blocks(const config::DatasetSpec& spec, uint64_t seed,
                              const std::string& who) {
  const config::StreamSpec& st = spec.stream;
  const config::NetcdfSpec& n = spec.netcdf;
  const int64_t steps = st.block;
  const int64_t budget = st.max_memory > 0 ? st.max_memory : static_cast<int64_t>(memory_budget());
  auto file = std::make_shared<NetcdfFile>(spec.path);
  int64_t nt = 0, nc = 0;
  for (const auto& d : file->dimensions()) {
    if (d.name == n.time_dim) nt = d.length;
    if (d.name == n.space_dim) nc = d.length;
  }
  const auto fd = static_cast<int64_t>(n.dynamic.size()),
             k = static_cast<int64_t>(n.targets.size());
  // Held whole in either case: targets, statics, the window list. Before the
  // windows are cut, `auto` bounds the list by one window per cell.
  const int64_t fixed = nt * nc * k * 4 + nc * static_cast<int64_t>(n.statics.size()) * 4;
  const bool in_memory =
      st.mode == config::StreamMode::Auto && fixed + nt * nc * (8 + fd * 4) <= budget;
  WindowSplits w = cut_windows(read_cube(spec, who, in_memory), spec, seed, who);
  limit_windows(w.train, spec.limit, seed);
  const int64_t held =
      fixed +
      static_cast<int64_t>((w.train.size() + w.val.size() + w.test.size()) * sizeof(Window));
  const int64_t hist = n.seq_length - 1 + n.lag;
  const int64_t block_bytes = (steps + hist) * nc * (fd + k) * 4;
  if (!in_memory && held + (st.prefetch + 1) * block_bytes > budget) {
    throw DataMismatch(who + ": max_memory " + format_bytes(static_cast<double>(budget)) +
                       " cannot hold " + std::to_string(st.prefetch + 1) + " blocks of " +
                       std::to_string(steps) + " steps (" +
                       format_bytes(static_cast<double>(block_bytes)) +
                       " each, with the windows' history) and the targets and windows (" +
                       format_bytes(static_cast<double>(held)) +
                       "): lower block_steps or prefetch, or raise max_memory");
  }
  if (!in_memory) w.cube.dynamic_scaling = stream_scaling(*file, w, n, steps, who);
  DataSplits s;
  s.classification = false;
  s.num_targets = w.cube.num_targets();
  s.sample_shape = {w.cube.seq_length, w.cube.features()};
  s.shuffle = spec.shuffle;
  s.description = w.description + "; in blocks of " + std::to_string(steps) + " steps, " +
                  (in_memory ? "held in memory" : "streamed from disk") + " (max_memory " +
                  format_bytes(static_cast<double>(budget)) + ")";
  auto src = std::make_shared<Source>();
  if (!in_memory) src->file = file;
  src->cube = std::make_shared<const WindowCube>(std::move(w.cube));
  src->who = who;
  auto split = [&](std::vector<Window> ws) {
    if (ws.empty()) return Split();
    return Split(block_samples(std::make_shared<WindowBlocks>(src, by_span(std::move(ws), steps)),
                               st.prefetch));
  };
  s.train = split(std::move(w.train));
  s.val = split(std::move(w.val));
  s.test = split(std::move(w.test));
  return s;
}

}  // namespace itwin::data
