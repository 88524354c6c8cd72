#pragma once
// The built-in architectures (internal to src/models).

#include <torch/torch.h>

#include "itwin/config/specs.hpp"

namespace itwin::models {

/// The CNN of the itwinai MNIST tutorial: conv 1->10->20 (5x5), max-pool,
/// dropout, 320->50->10 for 28x28 input (the flat size follows the input).
struct CnnImpl : torch::nn::Module {
  CnnImpl(int64_t in_channels, int64_t height, int64_t width, int64_t classes, double dropout);
  torch::Tensor forward(torch::Tensor x);
  torch::nn::Conv2d conv1{nullptr}, conv2{nullptr};
  torch::nn::Dropout2d conv2_drop{nullptr};
  torch::nn::Linear fc1{nullptr}, fc2{nullptr};
  double dropout;
};
TORCH_MODULE(Cnn);

/// Flatten, then Linear+ReLU(+Dropout) per hidden width, then Linear.
struct MlpImpl : torch::nn::Module {
  MlpImpl(int64_t inputs, const std::vector<int64_t>& hidden, int64_t outputs, double dropout);
  torch::Tensor forward(torch::Tensor x);
  torch::nn::Sequential net{nullptr};
};
TORCH_MODULE(Mlp);

/// Sequence regressor (hydrology style, as hython's CudaLSTM): LSTM over
/// [N, T, F], the last step's hidden state through dropout and a Linear head
/// to the targets. Dropout also acts between stacked layers.
struct LstmRegressorImpl : torch::nn::Module {
  LstmRegressorImpl(int64_t features, int64_t hidden, int64_t layers, double dropout,
                    int64_t outputs);
  torch::Tensor forward(torch::Tensor x);
  torch::nn::LSTM lstm{nullptr};
  torch::nn::Dropout drop{nullptr};  // no parameters: state dicts are unchanged
  torch::nn::Linear head{nullptr};
};
TORCH_MODULE(LstmRegressor);

/// ResNet-style CNN: stem, stages of basic residual blocks (stride 2 between
/// stages), global average pool, Linear.
struct ResNetImpl : torch::nn::Module {
  ResNetImpl(int64_t in_channels, const std::vector<int64_t>& channels, int64_t blocks,
             int64_t classes);
  torch::Tensor forward(torch::Tensor x);
  torch::nn::Sequential stem{nullptr}, stages{nullptr};
  torch::nn::Linear fc{nullptr};
};
TORCH_MODULE(ResNet);

}  // namespace itwin::models
