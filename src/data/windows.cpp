// Windows of a datacube as samples: the normalised cube stays in memory once
// (shared by the splits) and each batch is cut from it when gathered, since
// the windows themselves (seq_length times the cube) would not fit.
#include "windows.hpp"

#include <algorithm>

#include "itwin/data/datacube.hpp"

namespace itwin::data {
namespace {

class WindowSamples : public Samples {
 public:
  WindowSamples(std::shared_ptr<const WindowCube> cube, std::vector<Window> windows)
      : cube_(std::move(cube)), windows_(std::move(windows)) {}

  int64_t size() const override { return static_cast<int64_t>(windows_.size()); }

  TensorData gather(const std::vector<int64_t>& order, size_t begin, size_t end) const override {
    const auto n = static_cast<int64_t>(end - begin);
    const int64_t l = cube_->seq_length, f = cube_->features(), k = cube_->num_targets();
    TensorData b{torch::empty({n, l, f}), torch::empty({n, k})};
    float* x = b.x.data_ptr<float>();
    float* y = b.y.data_ptr<float>();
    for (size_t i = begin; i < end; ++i) {
      cube_->copy(windows_[static_cast<size_t>(order[i])], x, y);
      x += l * f;
      y += k;
    }
    return b;
  }

 private:
  std::shared_ptr<const WindowCube> cube_;
  std::vector<Window> windows_;
};

}  // namespace

void limit_windows(std::vector<Window>& windows, int64_t limit, uint64_t seed) {
  if (limit <= 0 || static_cast<int64_t>(windows.size()) <= limit) return;
  // A seeded subset, kept in catchment and time order.
  auto pick = permutation(static_cast<int64_t>(windows.size()), seed, ~1ull);
  pick.resize(static_cast<size_t>(limit));
  std::sort(pick.begin(), pick.end());
  std::vector<Window> kept;
  for (int64_t i : pick) kept.push_back(windows[static_cast<size_t>(i)]);
  windows = std::move(kept);
}

DataSplits load_windows(const config::DatasetSpec& spec, uint64_t seed, const std::string& who) {
  if (spec.stream.mode != config::StreamMode::Off) return load_window_blocks(spec, seed, who);
  WindowSplits w = cut_windows(read_cube(spec, who), spec, seed, who);
  limit_windows(w.train, spec.limit, seed);
  DataSplits s;
  s.classification = false;
  s.num_targets = w.cube.num_targets();
  s.sample_shape = {w.cube.seq_length, w.cube.features()};
  s.shuffle = spec.shuffle;
  s.description = w.description;
  auto cube = std::make_shared<const WindowCube>(std::move(w.cube));
  s.train = Split(std::make_shared<WindowSamples>(cube, std::move(w.train)));
  if (!w.val.empty()) s.val = Split(std::make_shared<WindowSamples>(cube, std::move(w.val)));
  if (!w.test.empty()) s.test = Split(std::make_shared<WindowSamples>(cube, std::move(w.test)));
  return s;
}

}  // namespace itwin::data
