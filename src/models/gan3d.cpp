#include "gan3d.hpp"

#include "itwin/util/strings.hpp"

namespace itwin::models {
namespace {

int64_t product(const std::vector<int64_t>& v) {
  int64_t n = 1;
  for (auto d : v) n *= d;
  return n;
}

// A stride-2 convolution with kernel 4 and padding 1 takes s to floor(s / 2).
std::vector<int64_t> halved(const std::vector<int64_t>& s) {
  std::vector<int64_t> out;
  for (auto d : s) out.push_back((d + 2 - 4) / 2 + 1);
  return out;
}

}  // namespace

std::string gan3d_problem(bool generator, const std::vector<int64_t>& shape,
                          const std::vector<int64_t>& channels) {
  if (generator)
    return "";  // the generator grows from a rounded-up base grid and crops: any grid works
  std::vector<int64_t> s = shape;
  for (size_t i = 0; i < channels.size(); ++i) {
    for (auto d : s) {
      if (d < 2) {
        return "model 'gan3d_discriminator' halves the grid once per entry of channels (" +
               std::to_string(channels.size()) + "), too often for a grid of " +
               std::to_string(shape[0]) + "x" + std::to_string(shape[1]) + "x" +
               std::to_string(shape[2]) + "; list fewer channels";
      }
    }
    s = halved(s);
  }
  return "";
}

Gan3dGeneratorImpl::Gan3dGeneratorImpl(int64_t latent, int64_t conditions,
                                       std::vector<int64_t> grid,
                                       const std::vector<int64_t>& channels)
    : shape(std::move(grid)), width0(channels[0]) {
  const int64_t doublings = static_cast<int64_t>(channels.size()) - 1;
  for (auto d : shape) base.push_back((d + (int64_t{1} << doublings) - 1) >> doublings);
  fc = register_module("fc", torch::nn::Linear(latent + conditions, width0 * product(base)));
  bn0 = register_module("bn0", torch::nn::BatchNorm3d(width0));
  up = torch::nn::Sequential();
  for (size_t i = 1; i < channels.size(); ++i) {
    up->push_back(torch::nn::ConvTranspose3d(
        torch::nn::ConvTranspose3dOptions(channels[i - 1], channels[i], 4).stride(2).padding(1)));
    up->push_back(torch::nn::BatchNorm3d(channels[i]));
    up->push_back(torch::nn::LeakyReLU(torch::nn::LeakyReLUOptions().negative_slope(0.2)));
  }
  register_module("up", up);
  out = register_module(
      "out", torch::nn::Conv3d(torch::nn::Conv3dOptions(channels.back(), 1, 3).padding(1)));
}

torch::Tensor Gan3dGeneratorImpl::forward(torch::Tensor x) {
  auto h = fc->forward(x).view({x.size(0), width0, base[0], base[1], base[2]});
  h = torch::leaky_relu(bn0->forward(h), 0.2);
  if (!up->is_empty()) h = up->forward(h);
  h = out->forward(h).select(1, 0);
  h = h.slice(1, 0, shape[0]).slice(2, 0, shape[1]).slice(3, 0, shape[2]);
  return torch::relu(h);
}

Gan3dDiscriminatorImpl::Gan3dDiscriminatorImpl(int64_t conditions,
                                               const std::vector<int64_t>& shape,
                                               const std::vector<int64_t>& channels) {
  features = torch::nn::Sequential();
  int64_t prev = 1;
  std::vector<int64_t> s = shape;
  for (int64_t c : channels) {
    features->push_back(
        torch::nn::Conv3d(torch::nn::Conv3dOptions(prev, c, 4).stride(2).padding(1)));
    features->push_back(torch::nn::LeakyReLU(torch::nn::LeakyReLUOptions().negative_slope(0.2)));
    prev = c;
    s = halved(s);
  }
  register_module("features", features);
  head = register_module("head", torch::nn::Linear(prev * product(s), 1 + conditions));
}

torch::Tensor Gan3dDiscriminatorImpl::forward(torch::Tensor x) {
  return head->forward(features->forward(x.unsqueeze(1)).flatten(1));
}

}  // namespace itwin::models
