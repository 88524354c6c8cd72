// The decoded data sets of a forking process (data_cache.hpp).
#include "itwin/train/data_cache.hpp"

#include <torch/torch.h>

#include <filesystem>
#include <map>
#include <optional>

#include "data_cache_lookup.hpp"
#include "itwin/util/strings.hpp"

namespace fs = std::filesystem;

namespace itwin::train {
namespace {

std::map<std::string, data::DataSplits>& cache() {
  static std::map<std::string, data::DataSplits> c;
  return c;
}

// Size and mtime of a file, or of every file of a directory (idx): data
// changed on disk is not taken from the cache.
std::string identity(const std::string& path) {
  if (path.empty()) return "-";
  std::error_code ec;
  std::string out;
  auto one = [&](const fs::path& p) {
    auto size = fs::file_size(p, ec);
    auto time = fs::last_write_time(p, ec).time_since_epoch().count();
    out += p.string() + ":" + std::to_string(ec ? 0 : size) + ":" + std::to_string(time) + ";";
  };
  if (fs::is_directory(path, ec)) {
    for (const auto& e : fs::directory_iterator(path, ec))
      if (e.is_regular_file(ec)) one(e.path());
  } else {
    one(path);
  }
  return out;
}

std::string numbers(const std::vector<double>& v) {
  std::string s;
  for (double x : v) s += std::to_string(x) + ",";
  return s;
}

}  // namespace

std::string dataset_cache_key(const config::DatasetSpec& s, uint64_t seed) {
  using F = config::DataFormat;
  if (s.format != F::Idx && s.format != F::Npy && s.format != F::Npz && s.format != F::Csv)
    return "";
  char split[64];
  std::snprintf(split, sizeof split, "%.17g/%.17g", s.split.validation, s.split.test);
  return join(
      {std::to_string(static_cast<int>(s.format)), s.path, s.labels, s.x_key, s.y_key,
       join(s.y_keys, ","), join(s.targets, ","), join(s.features, ","), s.delimiter,
       std::to_string(static_cast<int>(s.task)), split, s.shuffle ? "1" : "0",
       std::to_string(s.limit), std::to_string(static_cast<int>(s.normalize)), numbers(s.mean),
       numbers(s.std), std::to_string(seed), identity(s.path), identity(s.labels)},
      "|");
}

int warm_dataset_cache(const config::Config& cfg, const config::Pipeline& pipeline) {
  torch::set_num_threads(1);  // no OpenMP team before a fork
  int kept = 0;
  for (const auto& step : pipeline.steps) {
    if (step.kind != config::StepKind::Dataset) continue;
    const auto& spec = std::get<config::DatasetSpec>(step.spec);
    const std::string key = dataset_cache_key(spec, cfg.run.seed);
    if (key.empty() || cache().count(key)) continue;
    try {
      cache().emplace(key, data::load_dataset(spec, cfg.run.seed, step.name));
      ++kept;
    } catch (const std::exception&) {
      // The run that needs it loads it again and reports the error itself.
    }
  }
  return kept;
}

std::optional<data::DataSplits> cached_dataset(const config::DatasetSpec& spec, uint64_t seed) {
  if (cache().empty()) return std::nullopt;
  auto it = cache().find(dataset_cache_key(spec, seed));
  if (it == cache().end()) return std::nullopt;
  return it->second;
}

}  // namespace itwin::train
