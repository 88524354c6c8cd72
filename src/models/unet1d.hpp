#pragma once
// The 1-D convolutional encoder-decoder of the Virgo use case (internal to
// src/models): a UNet over time series [N, C, T] with skip connections, one
// output value per time step. Its PyTorch twin, with the same parameter
// names, is use-cases/virgo/models.py.

#include <torch/torch.h>

#include <string>

namespace itwin::models {

/// Why a unet1d cannot be built with these sizes ("" when it can).
std::string unet1d_problem(int64_t channels, int64_t depth, int64_t kernel);

/// [N, C, T] -> [N, T]. Level i (0..depth-1) has channels * 2^i filters: two
/// convolutions (kernel `kernel`, same padding) + ReLU, then max-pool by 2;
/// the bottleneck has channels * 2^depth. Going up, a transposed convolution
/// (kernel 2, stride 2) halves the filters, the encoder's output of the same
/// level is concatenated (the skip) and two convolutions follow; a 1x1
/// convolution makes one channel. T need not be a multiple of 2^depth: the
/// input is zero-padded on the right and the output cropped back to T.
struct Unet1dImpl : torch::nn::Module {
  Unet1dImpl(int64_t in_channels, int64_t channels, int64_t depth, int64_t kernel);
  torch::Tensor forward(torch::Tensor x);
  torch::nn::ModuleList down{nullptr}, up{nullptr}, dec{nullptr};
  torch::nn::Sequential bottom{nullptr};
  torch::nn::Conv1d head{nullptr};
  int64_t depth;
};
TORCH_MODULE(Unet1d);

}  // namespace itwin::models
