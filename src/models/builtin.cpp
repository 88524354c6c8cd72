#include "builtin.hpp"

namespace F = torch::nn::functional;

namespace itwin::models {

CnnImpl::CnnImpl(int64_t in_channels, int64_t height, int64_t width, int64_t classes, double p)
    : dropout(p) {
  conv1 = register_module("conv1", torch::nn::Conv2d(torch::nn::Conv2dOptions(in_channels, 10, 5)));
  conv2 = register_module("conv2", torch::nn::Conv2d(torch::nn::Conv2dOptions(10, 20, 5)));
  conv2_drop = register_module("conv2_drop", torch::nn::Dropout2d(p));
  int64_t h = ((height - 4) / 2 - 4) / 2, w = ((width - 4) / 2 - 4) / 2;
  fc1 = register_module("fc1", torch::nn::Linear(20 * h * w, 50));
  fc2 = register_module("fc2", torch::nn::Linear(50, classes));
}

torch::Tensor CnnImpl::forward(torch::Tensor x) {
  x = torch::relu(F::max_pool2d(conv1->forward(x), F::MaxPool2dFuncOptions(2)));
  x = torch::relu(
      F::max_pool2d(conv2_drop->forward(conv2->forward(x)), F::MaxPool2dFuncOptions(2)));
  x = torch::relu(fc1->forward(x.flatten(1)));
  x = F::dropout(x, F::DropoutFuncOptions().p(dropout).training(is_training()));
  return fc2->forward(x);
}

MlpImpl::MlpImpl(int64_t inputs, const std::vector<int64_t>& hidden, int64_t outputs,
                 double dropout) {
  net = torch::nn::Sequential();
  int64_t prev = inputs;
  for (int64_t h : hidden) {
    net->push_back(torch::nn::Linear(prev, h));
    net->push_back(torch::nn::ReLU());
    if (dropout > 0) net->push_back(torch::nn::Dropout(dropout));
    prev = h;
  }
  net->push_back(torch::nn::Linear(prev, outputs));
  register_module("net", net);
}

torch::Tensor MlpImpl::forward(torch::Tensor x) { return net->forward(x.flatten(1)); }

LstmRegressorImpl::LstmRegressorImpl(int64_t features, int64_t hidden, int64_t layers,
                                     double dropout, int64_t outputs) {
  lstm = register_module("lstm", torch::nn::LSTM(torch::nn::LSTMOptions(features, hidden)
                                                     .num_layers(layers)
                                                     .batch_first(true)
                                                     .dropout(layers > 1 ? dropout : 0.0)));
  drop = register_module("drop", torch::nn::Dropout(dropout));
  head = register_module("head", torch::nn::Linear(hidden, outputs));
}

torch::Tensor LstmRegressorImpl::forward(torch::Tensor x) {
  auto out = std::get<0>(lstm->forward(x));                             // [N, T, H]
  return head->forward(drop->forward(out.select(1, out.size(1) - 1)));  // last time step
}

namespace {

struct BasicBlockImpl : torch::nn::Module {
  BasicBlockImpl(int64_t in, int64_t out, int64_t stride) {
    conv1 = register_module(
        "conv1", torch::nn::Conv2d(
                     torch::nn::Conv2dOptions(in, out, 3).stride(stride).padding(1).bias(false)));
    bn1 = register_module("bn1", torch::nn::BatchNorm2d(out));
    conv2 = register_module(
        "conv2", torch::nn::Conv2d(torch::nn::Conv2dOptions(out, out, 3).padding(1).bias(false)));
    bn2 = register_module("bn2", torch::nn::BatchNorm2d(out));
    if (stride != 1 || in != out) {
      shortcut = register_module(
          "shortcut",
          torch::nn::Sequential(
              torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, 1).stride(stride).bias(false)),
              torch::nn::BatchNorm2d(out)));
    }
  }
  torch::Tensor forward(torch::Tensor x) {
    auto y = torch::relu(bn1->forward(conv1->forward(x)));
    y = bn2->forward(conv2->forward(y));
    return torch::relu(y + (shortcut ? shortcut->forward(x) : x));
  }
  torch::nn::Conv2d conv1{nullptr}, conv2{nullptr};
  torch::nn::BatchNorm2d bn1{nullptr}, bn2{nullptr};
  torch::nn::Sequential shortcut{nullptr};
};
TORCH_MODULE(BasicBlock);

}  // namespace

ResNetImpl::ResNetImpl(int64_t in_channels, const std::vector<int64_t>& channels, int64_t blocks,
                       int64_t classes) {
  stem = register_module(
      "stem", torch::nn::Sequential(
                  torch::nn::Conv2d(
                      torch::nn::Conv2dOptions(in_channels, channels[0], 3).padding(1).bias(false)),
                  torch::nn::BatchNorm2d(channels[0]), torch::nn::ReLU()));
  stages = torch::nn::Sequential();
  int64_t prev = channels[0];
  for (size_t s = 0; s < channels.size(); ++s) {
    for (int64_t b = 0; b < blocks; ++b) {
      stages->push_back(BasicBlock(prev, channels[s], (s > 0 && b == 0) ? 2 : 1));
      prev = channels[s];
    }
  }
  register_module("stages", stages);
  fc = register_module("fc", torch::nn::Linear(prev, classes));
}

torch::Tensor ResNetImpl::forward(torch::Tensor x) {
  x = stages->forward(stem->forward(x));
  return fc->forward(F::adaptive_avg_pool2d(x, F::AdaptiveAvgPool2dFuncOptions(1)).flatten(1));
}

}  // namespace itwin::models
