// The baseline for bench/train_overhead.sh: the tutorial CNN trained on
// Fashion-MNIST by a plain LibTorch loop, with nothing of itwin in the loop.
// usage: plain_libtorch EPOCHS BATCH THREADS  -> prints "samples_per_s X" per epoch
#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "itwin/data/array.hpp"

namespace F = torch::nn::functional;

struct NetImpl : torch::nn::Module {
  NetImpl() {
    conv1 = register_module("conv1", torch::nn::Conv2d(torch::nn::Conv2dOptions(1, 10, 5)));
    conv2 = register_module("conv2", torch::nn::Conv2d(torch::nn::Conv2dOptions(10, 20, 5)));
    drop = register_module("conv2_drop", torch::nn::Dropout2d(0.25));
    fc1 = register_module("fc1", torch::nn::Linear(320, 50));
    fc2 = register_module("fc2", torch::nn::Linear(50, 10));
  }
  torch::Tensor forward(torch::Tensor x) {
    x = torch::relu(F::max_pool2d(conv1->forward(x), F::MaxPool2dFuncOptions(2)));
    x = torch::relu(F::max_pool2d(drop->forward(conv2->forward(x)), F::MaxPool2dFuncOptions(2)));
    x = torch::relu(fc1->forward(x.flatten(1)));
    x = F::dropout(x, F::DropoutFuncOptions().p(0.25).training(is_training()));
    return fc2->forward(x);
  }
  torch::nn::Conv2d conv1{nullptr}, conv2{nullptr};
  torch::nn::Dropout2d drop{nullptr};
  torch::nn::Linear fc1{nullptr}, fc2{nullptr};
};
TORCH_MODULE(Net);

int main(int argc, char** argv) {
  int epochs = argc > 1 ? std::atoi(argv[1]) : 1;
  int64_t batch = argc > 2 ? std::atoll(argv[2]) : 64;
  torch::set_num_threads(argc > 3 ? std::atoi(argv[3]) : 1);
  // Loading is outside the timed loop (as in itwin, whose samples/s is per epoch).
  auto a = itwin::data::read_idx("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz");
  auto l = itwin::data::read_idx("/usr/share/datasets/fashion-mnist/train-labels-idx1-ubyte.gz");
  auto x = torch::from_blob(a.bytes.data(), {60000, 1, 28, 28}, torch::kUInt8)
               .to(torch::kFloat32)
               .div(255)
               .sub(0.286)
               .div(0.353);
  auto y = torch::from_blob(l.bytes.data(), {60000}, torch::kUInt8).to(torch::kInt64);
  x = x.slice(0, 5000);  // the same 55000 training samples as the use case
  y = y.slice(0, 5000);
  torch::manual_seed(42);
  Net net;
  torch::optim::SGD opt(net->parameters(),
                        torch::optim::SGDOptions(0.01).momentum(0.9).nesterov(true));
  for (int e = 0; e < epochs; ++e) {
    net->train();
    auto perm = torch::randperm(x.size(0));
    auto t0 = std::chrono::steady_clock::now();
    for (int64_t b = 0; b < x.size(0); b += batch) {
      auto idx = perm.slice(0, b, std::min(x.size(0), b + batch));
      auto bx = x.index_select(0, idx), by = y.index_select(0, idx);
      opt.zero_grad();
      auto loss = F::cross_entropy(net->forward(bx), by);
      loss.backward();
      opt.step();
      (void)loss.item<double>();  // itwin reads the loss every step too
    }
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("samples_per_s %.1f\n", static_cast<double>(x.size(0)) / s);
  }
  return 0;
}
