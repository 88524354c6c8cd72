// The unet1d architecture (Virgo noise subtraction); see unet1d.hpp.
#include "unet1d.hpp"

namespace itwin::models {
namespace {

namespace nn = torch::nn;

// conv + ReLU, twice: the block at every level of both paths.
nn::Sequential block(int64_t in, int64_t out, int64_t kernel) {
  auto conv = [&](int64_t i) {
    return nn::Conv1d(nn::Conv1dOptions(i, out, kernel).padding(kernel / 2));
  };
  return nn::Sequential(conv(in), nn::ReLU(), conv(out), nn::ReLU());
}

}  // namespace

std::string unet1d_problem(int64_t channels, int64_t depth, int64_t kernel) {
  if (kernel % 2 == 0)
    return "model 'unet1d' needs an odd kernel (same padding keeps the length), not " +
           std::to_string(kernel);
  if (channels << depth > (int64_t{1} << 16))
    return "model 'unet1d' would have " + std::to_string(channels << depth) +
           " filters at its bottleneck (channels * 2^depth); at most 65536";
  return "";
}

Unet1dImpl::Unet1dImpl(int64_t in_channels, int64_t channels, int64_t depth, int64_t kernel)
    : depth(depth) {
  down = register_module("down", nn::ModuleList());
  up = register_module("up", nn::ModuleList());
  dec = register_module("dec", nn::ModuleList());
  int64_t in = in_channels;
  for (int64_t i = 0; i < depth; ++i) {
    down->push_back(block(in, channels << i, kernel));
    in = channels << i;
  }
  bottom = register_module("bottom", block(in, channels << depth, kernel));
  for (int64_t i = depth - 1; i >= 0; --i) {
    up->push_back(nn::ConvTranspose1d(
        nn::ConvTranspose1dOptions(channels << (i + 1), channels << i, 2).stride(2)));
    dec->push_back(block(2 * (channels << i), channels << i, kernel));
  }
  head = register_module("head", nn::Conv1d(nn::Conv1dOptions(channels, 1, 1)));
}

torch::Tensor Unet1dImpl::forward(torch::Tensor x) {
  const int64_t t = x.size(2), m = int64_t{1} << depth;
  if (t % m) x = torch::constant_pad_nd(x, {0, m - t % m});
  std::vector<torch::Tensor> skips;
  for (const auto& level : *down) {
    x = level->as<nn::Sequential>()->forward(x);
    skips.push_back(x);
    x = torch::max_pool1d(x, 2);
  }
  x = bottom->forward(x);
  for (size_t i = 0; i < up->size(); ++i) {
    x = up[i]->as<nn::ConvTranspose1d>()->forward(x);
    x = torch::cat({x, skips[skips.size() - 1 - i]}, 1);
    x = dec[i]->as<nn::Sequential>()->forward(x);
  }
  return head->forward(x).squeeze(1).slice(1, 0, t);
}

}  // namespace itwin::models
