// A netcdf data set's split (by catchment or time), its normalisation from
// the training part, and the windows of each split (the sampler's for
// training, every stride-th for evaluation), missing targets left out.
#include <algorithm>
#include <cmath>
#include <random>

#include "itwin/data/datacube.hpp"
#include "itwin/plugin/registry.hpp"
#include "itwin/util/strings.hpp"

namespace itwin::data {
namespace {

int64_t count_of(double v, int64_t n) {
  return v < 1 ? static_cast<int64_t>(std::llround(v * static_cast<double>(n)))
               : static_cast<int64_t>(v);
}

// Fisher-Yates on the raw engine (as data::permutation): the same order on every platform.
std::vector<int64_t> shuffled(int64_t n, uint64_t seed) {
  std::vector<int64_t> p(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) p[static_cast<size_t>(i)] = i;
  std::mt19937_64 rng(seed ^ 0xD1B54A32D192ED03ull);
  for (int64_t i = n - 1; i > 0; --i)
    std::swap(p[static_cast<size_t>(i)], p[rng() % static_cast<uint64_t>(i + 1)]);
  return p;
}

// NaN-aware mean and std of `v` (time-major) over `catchments` x [t0, t1).
void stats(const std::vector<float>& v, int64_t nc, const std::vector<int64_t>& catchments,
           int64_t t0, int64_t t1, double* mean, double* sd) {
  double s = 0, s2 = 0;
  int64_t n = 0;
  for (int64_t t = t0; t < t1; ++t) {
    for (int64_t c : catchments) {
      const float x = v[static_cast<size_t>(t * nc + c)];
      if (std::isnan(x)) continue;
      s += x;
      ++n;
    }
  }
  *mean = n > 0 ? s / static_cast<double>(n) : 0.0;
  for (int64_t t = t0; t < t1; ++t) {
    for (int64_t c : catchments) {
      const float x = v[static_cast<size_t>(t * nc + c)];
      if (!std::isnan(x)) s2 += (x - *mean) * (x - *mean);
    }
  }
  *sd = n > 1 ? std::sqrt(s2 / static_cast<double>(n - 1)) : 0.0;
  if (!(*sd > 1e-12 * std::max(1.0, std::fabs(*mean)))) *sd = 1.0;  // constant: centred only
}

struct SplitRange {
  std::vector<int64_t> catchments;
  int64_t t0 = 0, t1 = 0;  ///< target times
};

struct Sink {
  std::vector<Window>* out;
  const SplitRange* range;
  std::vector<char> member;  ///< catchments of the range
  int64_t first = 0;         ///< earliest target time with all inputs in the file
  int64_t bad_c = -1, bad_t = -1;
};

void emit(void* sink, int64_t c, int64_t t) {
  auto* s = static_cast<Sink*>(sink);
  const bool ok = c >= 0 && c < static_cast<int64_t>(s->member.size()) &&
                  s->member[static_cast<size_t>(c)] && t >= s->range->t0 && t >= s->first &&
                  t < s->range->t1;
  if (!ok) {
    if (s->bad_c < 0 && s->bad_t < 0) s->bad_c = c, s->bad_t = t;
    return;
  }
  s->out->push_back({static_cast<int32_t>(c), static_cast<int32_t>(t)});
}

std::vector<Window> sample(const plugin::WindowSampler& smp, const config::ComponentUse& use,
                           const RawCube& raw, const config::NetcdfSpec& n, const SplitRange& range,
                           uint64_t seed, const std::string& who) {
  std::vector<const char*> keys, values, tnames;
  for (const auto& [k, v] : use.options) {
    keys.push_back(k.c_str());
    values.push_back(v.c_str());
  }
  itwin_options opts{use.options.size(), keys.data(), values.data()};
  std::vector<const float*> targets;
  for (size_t k = 0; k < raw.targets.size(); ++k) {
    targets.push_back(raw.targets[k].data());
    tnames.push_back(raw.target_names[k].c_str());
  }
  itwin_sampler_input in{raw.n_time,
                         raw.n_catchments,
                         n.seq_length,
                         n.lag,
                         n.stride,
                         range.t0,
                         range.t1,
                         range.catchments.data(),
                         range.catchments.size(),
                         targets.size(),
                         tnames.data(),
                         targets.data(),
                         &opts,
                         seed};
  std::vector<Window> out;
  Sink sink{&out, &range, std::vector<char>(static_cast<size_t>(raw.n_catchments), 0),
            n.seq_length - 1 + n.lag};
  for (int64_t c : range.catchments) sink.member[static_cast<size_t>(c)] = 1;
  char error[512] = "";
  if (smp.sample(&in, &sink, &emit, error, sizeof error) != 0) {
    throw RuntimeError(who + ": " + smp.describe("window sampler") +
                       " failed: " + (error[0] ? error : "no reason given"));
  }
  if (sink.bad_c >= 0 || sink.bad_t >= 0) {
    throw RuntimeError(who + ": " + smp.describe("window sampler") +
                       " chose a window outside its split (catchment " +
                       std::to_string(sink.bad_c) + ", time " + std::to_string(sink.bad_t) +
                       "; the split has times [" + std::to_string(std::max(range.t0, sink.first)) +
                       ", " + std::to_string(range.t1) + "))");
  }
  // Windows whose target is missing teach nothing: left out.
  std::vector<Window> kept;
  kept.reserve(out.size());
  for (const auto& w : out) {
    bool complete = true;
    for (const auto& t : raw.targets)
      complete =
          complete && !std::isnan(t[static_cast<size_t>(w.time * raw.n_catchments + w.catchment)]);
    if (complete) kept.push_back(w);
  }
  return kept;
}

// Time-major [T][C] variables -> catchment-major [C][T][F], normalised.
std::vector<float> interleave(const std::vector<std::vector<float>>& vars, const Scaling& s,
                              int64_t nt, int64_t nc) {
  const size_t f = vars.size();
  std::vector<float> out(static_cast<size_t>(nt * nc) * f);
  for (size_t k = 0; k < f; ++k) {
    const double m = s.mean[k], sd = s.std[k];
    for (int64_t t = 0; t < nt; ++t)
      for (int64_t c = 0; c < nc; ++c)
        out[(static_cast<size_t>(c * nt + t)) * f + k] =
            static_cast<float>((vars[k][static_cast<size_t>(t * nc + c)] - m) / sd);
  }
  return out;
}

Scaling scaling(const std::vector<std::vector<float>>& vars, bool on, int64_t nc,
                const SplitRange& train) {
  Scaling s;
  for (const auto& v : vars) {
    double m = 0, sd = 1;
    if (on) stats(v, nc, train.catchments, train.t0, train.t1, &m, &sd);
    s.mean.push_back(m);
    s.std.push_back(sd);
  }
  return s;
}

std::string split_text(const WindowSplits& w, bool by_time) {
  auto n = [](auto v) { return std::to_string(v); };
  if (by_time) {
    return "time: train steps [0, " + n(w.train_end) + "), validation [" + n(w.train_end) + ", " +
           n(w.val_end) + "), test [" + n(w.val_end) + ", " + n(w.cube.n_time) + ")";
  }
  return "catchment: train " + n(w.train_catchments.size()) + ", validation " +
         n(w.val_catchments.size()) + ", test " + n(w.test_catchments.size()) + " catchments";
}

}  // namespace

void WindowCube::copy(Window w, float* x, float* y) const {
  const size_t fd = dynamic_names.size(), fs = static_names.size(), k = target_names.size();
  const int64_t start = w.time - lag - seq_length + 1;
  const float* dyn = dynamic.data() + (static_cast<size_t>(w.catchment * n_time + start)) * fd;
  const float* st = statics.data() + static_cast<size_t>(w.catchment) * fs;
  for (int64_t l = 0; l < seq_length; ++l) {
    for (size_t f = 0; f < fd; ++f) *x++ = dyn[static_cast<size_t>(l) * fd + f];
    for (size_t f = 0; f < fs; ++f) *x++ = st[f];
  }
  const float* tg = targets.data() + (static_cast<size_t>(w.catchment * n_time + w.time)) * k;
  for (size_t j = 0; j < k; ++j) y[j] = tg[j];
}

WindowSplits cut_windows(RawCube raw, const config::DatasetSpec& spec, uint64_t seed,
                         const std::string& who) {
  const config::NetcdfSpec& n = spec.netcdf;
  const int64_t nt = raw.n_time, nc = raw.n_catchments;
  WindowSplits out;
  SplitRange train, val, test;
  const bool by_time = n.split_by == config::SplitBy::Time;
  const int64_t units = by_time ? nt : nc;
  const int64_t n_val = count_of(spec.split.validation, units),
                n_test = count_of(spec.split.test, units);
  const char* unit = by_time ? " time steps" : " catchments";
  if (n_val + n_test >= units) {
    throw DataMismatch("the split holds out " + std::to_string(n_val + n_test) + " of " +
                       std::to_string(units) + unit + ", leaving none for training");
  }
  std::vector<int64_t> all(static_cast<size_t>(nc));
  for (int64_t c = 0; c < nc; ++c) all[static_cast<size_t>(c)] = c;
  if (by_time) {
    out.train_end = nt - n_val - n_test;
    out.val_end = nt - n_test;
    train = {all, 0, out.train_end};
    val = {all, out.train_end, out.val_end};
    test = {all, out.val_end, nt};
  } else {
    std::vector<int64_t> order = spec.shuffle ? shuffled(nc, seed) : all;
    auto part = [&](int64_t b, int64_t e) {
      return std::vector<int64_t>(order.begin() + b, order.begin() + e);
    };
    val = {part(0, n_val), 0, nt};
    test = {part(n_val, n_val + n_test), 0, nt};
    train = {part(n_val + n_test, nc), 0, nt};
    out.train_end = out.val_end = nt;
  }

  // Statistics of the training part only: nothing of validation or test leaks into training.
  WindowCube& cube = out.cube;
  cube.dynamic_scaling =
      scaling(raw.dynamic, n.normalize_inputs == config::NormalizeKind::Standard, nc, train);
  SplitRange train_static{train.catchments, 0, 1};  // statics: one "time step"
  cube.static_scaling =
      scaling(raw.statics, n.normalize_inputs == config::NormalizeKind::Standard, nc, train_static);
  cube.target_scaling =
      scaling(raw.targets, n.normalize_targets == config::NormalizeKind::Standard, nc, train);

  const plugin::WindowSampler* regular = plugin::window_samplers().find("regular");
  const plugin::WindowSampler* chosen = plugin::window_samplers().find(n.sampler.name);
  if (!chosen)
    throw RuntimeError(who + ": no window sampler '" + n.sampler.name +
                       "' is registered (is its plugin loaded?)");
  out.train = sample(*chosen, n.sampler, raw, n, train, seed, who);
  config::ComponentUse plain{"regular", {}};
  if (!val.catchments.empty() && val.t1 > val.t0)
    out.val = sample(*regular, plain, raw, n, val, seed, who);
  if (!test.catchments.empty() && test.t1 > test.t0)
    out.test = sample(*regular, plain, raw, n, test, seed, who);
  if (out.train.empty()) {
    throw DataMismatch("the training split holds no window with a target (seq_length " +
                       std::to_string(n.seq_length) + ", lag " + std::to_string(n.lag) + ", " +
                       std::to_string(by_time ? out.train_end : nt) + " time steps; sampler '" +
                       n.sampler.name + "')");
  }
  if (n_val > 0 && out.val.empty()) {
    throw DataMismatch(
        "the validation split holds no window with a target" +
        std::string(by_time ? " (its period is shorter than needed, or its targets are all missing)"
                            : ""));
  }
  if (n_test > 0 && out.test.empty())
    throw DataMismatch("the test split holds no window with a target");

  cube.path = raw.path;
  cube.n_time = nt;
  cube.n_catchments = nc;
  cube.seq_length = n.seq_length;
  cube.lag = n.lag;
  cube.dynamic = interleave(raw.dynamic, cube.dynamic_scaling, nt, nc);
  cube.statics = interleave(raw.statics, cube.static_scaling, 1, nc);
  cube.targets = interleave(raw.targets, cube.target_scaling, nt, nc);
  cube.dynamic_names = std::move(raw.dynamic_names);
  cube.static_names = std::move(raw.static_names);
  cube.target_names = std::move(raw.target_names);
  out.train_catchments = train.catchments;
  out.val_catchments = val.catchments;
  out.test_catchments = test.catchments;
  out.description =
      "netcdf " + raw.path + ": " + std::to_string(nc) + " catchments x " + std::to_string(nt) +
      " steps; windows of " + std::to_string(n.seq_length) + " x " +
      std::to_string(cube.features()) + " (" + join(cube.dynamic_names, ", ") +
      (cube.static_names.empty() ? ""
                                 : " + " + std::to_string(cube.static_names.size()) + " static") +
      ") -> " + join(cube.target_names, ", ") + "; split by " + split_text(out, by_time) +
      "; sampler " + n.sampler.name;
  return out;
}

}  // namespace itwin::data
