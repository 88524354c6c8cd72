// Samples from a generator for a grid of conditions, gathered in order and written to HDF5.
#include "itwin/train/generate.hpp"

#include <chrono>
#include <cstring>
#include <sstream>

#include "gan_common.hpp"
#include "itwin/data/array.hpp"
#include "itwin/data/hdf5_write.hpp"
#include "itwin/util/error.hpp"
#include "itwin/util/strings.hpp"

namespace itwin::train {
namespace {

int64_t combinations(const config::GenerateSpec& spec) {
  int64_t n = 1;
  for (const auto& [name, values] : spec.conditions) n *= static_cast<int64_t>(values.size());
  return n;
}

// The condition values of combination k (mixed radix, the last condition fastest).
std::vector<float> combination(const config::GenerateSpec& spec, int64_t k) {
  std::vector<float> v(spec.conditions.size());
  for (size_t c = spec.conditions.size(); c-- > 0;) {
    const auto& values = spec.conditions[c].second;
    const auto n = static_cast<int64_t>(values.size());
    v[c] = static_cast<float>(values[static_cast<size_t>(k % n)]);
    k /= n;
  }
  return v;
}

// Conditions of samples [begin, end) as [n, C].
torch::Tensor conditions_of(const config::GenerateSpec& spec, int64_t begin, int64_t end) {
  const auto c = static_cast<int64_t>(spec.conditions.size());
  auto y = torch::zeros({end - begin, c});
  for (int64_t i = begin; i < end; ++i) {
    auto v = combination(spec, i / spec.count);
    for (int64_t j = 0; j < c; ++j) y[i - begin][j] = v[static_cast<size_t>(j)];
  }
  return y;
}

std::string shape_of(at::IntArrayRef s) {
  std::ostringstream o;
  o << s;
  return o.str();
}

}  // namespace

std::vector<int64_t> generate_preflight(const config::GenerateSpec& spec, models::Model& generator,
                                        int64_t latent, const torch::Device& device) {
  const auto c = static_cast<int64_t>(spec.conditions.size());
  const auto cs = static_cast<int64_t>(spec.condition_scale.size());
  if (cs > 1 && cs != c) {
    throw RuntimeError("condition_scale lists " + std::to_string(cs) + " values for " +
                       std::to_string(c) + " condition(s)");
  }
  torch::NoGradGuard ng;
  generator.set_training(false);
  torch::Tensor out;
  try {
    out = generate(generator, latent,
                   scaled_conditions(conditions_of(spec, 0, 1), spec.condition_scale).to(device),
                   {0}, 0);
  } catch (const c10::Error& e) {
    std::string m = e.what_without_backtrace();
    throw RuntimeError("the generator (" + generator.describe() + ") cannot take [1, " +
                       std::to_string(latent + c) + "] (latent " + std::to_string(latent) + " + " +
                       std::to_string(c) + " condition(s) given): " + m.substr(0, m.find('\n')));
  }
  if (out.dim() < 2 || out.size(0) != 1) {
    throw RuntimeError("the generator (" + generator.describe() + ") makes " +
                       shape_of(out.sizes()) + " for one sample; it must give [1, ...]");
  }
  return out.sizes().slice(1).vec();
}

GenerateResult generate_samples(const config::GenerateSpec& spec, models::Model& generator,
                                int64_t latent, uint64_t seed, comm::Backend& comm,
                                const torch::Device& device) {
  auto t0 = std::chrono::steady_clock::now();
  GenerateResult r;
  r.sample_shape = generate_preflight(spec, generator, latent, device);
  int64_t numel = 1;
  for (auto d : r.sample_shape) numel *= d;
  const int64_t total = combinations(spec) * spec.count;
  r.samples = total;
  std::vector<int64_t> shape = {total};
  shape.insert(shape.end(), r.sample_shape.begin(), r.sample_shape.end());
  const size_t bytes = data::checked_bytes(shape, data::DType::F32, "generate: " + spec.path);

  // Rank r's block [r*per, min(total, (r+1)*per)), generated and gathered chunk by chunk.
  const int rank = comm.rank(), world = comm.world();
  const int64_t per = (total + world - 1) / world,
                chunk = std::min(spec.batch_size, std::max<int64_t>(per, 1));
  const int64_t begin = std::min(total, rank * per), end = std::min(total, begin + per);
  const uint64_t key =
      noise_key(static_cast<uint64_t>(spec.seed >= 0 ? spec.seed : static_cast<int64_t>(seed)), 0,
                NoisePurpose::Generate);
  data::Array x;
  if (rank == 0) {
    x.dtype = data::DType::F32;
    x.shape = shape;
    x.bytes.resize(bytes);
  }
  std::vector<float> mine(static_cast<size_t>(chunk * numel)),
      all(mine.size() * static_cast<size_t>(world));
  torch::NoGradGuard ng;
  generator.set_training(false);
  for (int64_t off = 0; off < per; off += chunk) {
    std::fill(mine.begin(), mine.end(), 0.0f);
    const int64_t b = std::min(end, begin + off), e = std::min(end, b + chunk);
    if (e > b) {
      std::vector<int64_t> ids;
      for (int64_t i = b; i < e; ++i) ids.push_back(i);
      auto y = scaled_conditions(conditions_of(spec, b, e), spec.condition_scale).to(device);
      auto out = (generate(generator, latent, y, ids, key) * spec.scale)
                     .to(torch::kCPU, torch::kFloat32)
                     .contiguous();
      std::memcpy(mine.data(), out.data_ptr<float>(),
                  static_cast<size_t>(out.numel()) * sizeof(float));
    }
    comm.allgather(mine.data(), all.data(), mine.size(), comm::DType::F32);
    if (rank != 0) continue;
    for (int src = 0; src < world; ++src) {  // rank src's rows of this chunk, in place
      const int64_t sb = std::min(total, src * per + off),
                    se = std::min({total, src * per + per, sb + chunk});
      if (se <= sb) continue;
      std::memcpy(x.bytes.data() + static_cast<size_t>(sb * numel) * sizeof(float),
                  all.data() + static_cast<size_t>(src) * mine.size(),
                  static_cast<size_t>((se - sb) * numel) * sizeof(float));
    }
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (rank != 0) return r;

  std::vector<data::H5Output> out;
  out.push_back({spec.x, std::move(x), {}});
  for (size_t c = 0; c < spec.conditions.size(); ++c) {
    data::Array col;
    col.dtype = data::DType::F32;
    col.shape = {total};
    col.bytes.resize(static_cast<size_t>(total) * sizeof(float));
    for (int64_t i = 0; i < total; ++i) {
      float v = combination(spec, i / spec.count)[c];
      std::memcpy(col.bytes.data() + static_cast<size_t>(i) * sizeof(float), &v, sizeof(float));
    }
    out.push_back({spec.conditions[c].first, std::move(col), {}});
  }
  std::vector<data::Attribute> attrs = {
      {"source", {}, {"itwin generate"}},
      {"generator", {}, {generator.describe()}},
      {"seed", {static_cast<double>(spec.seed >= 0 ? spec.seed : static_cast<int64_t>(seed))}, {}},
      {"count", {static_cast<double>(spec.count)}, {}},
      {"scale", {spec.scale}, {}}};
  data::write_hdf5(spec.path, out, attrs);
  return r;
}

}  // namespace itwin::train
