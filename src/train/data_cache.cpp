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
  // Every field, by name: a field added to DatasetSpec stops this compiling
  // until it is either in the key or said to be irrelevant here.
  const auto& [format, path, labels, x_key, y_key, y_keys, targets, features, delimiter, task,
               synthetic, netcdf, split, shuffle, limit, normalize, mean, stddev, stream] = s;
  (void)synthetic, (void)netcdf, (void)stream;  // formats the cache does not hold
  using F = config::DataFormat;
  if (format != F::Idx && format != F::Npy && format != F::Npz && format != F::Csv) return "";
  char fractions[64];
  std::snprintf(fractions, sizeof fractions, "%.17g/%.17g", split.validation, split.test);
  return join({std::to_string(static_cast<int>(format)), path, labels, x_key, y_key,
               join(y_keys, ","), join(targets, ","), join(features, ","), delimiter,
               std::to_string(static_cast<int>(task)), fractions, shuffle ? "1" : "0",
               std::to_string(limit), std::to_string(static_cast<int>(normalize)), numbers(mean),
               numbers(stddev), std::to_string(seed), identity(path), identity(labels)},
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
