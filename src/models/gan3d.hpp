#pragma once
// The 3DGAN networks (internal to src/models), after Khattak et al.,
// arXiv:2109.07388: 3-D (transposed) convolutions over the calorimeter grid,
// conditioned on the primary energy (and angle). Sized by the config; the
// PyTorch twins with the same parameter names are in use-cases/3dgan/models.py.

#include <torch/torch.h>

#include <string>
#include <vector>

namespace itwin::models {

/// Why a 3DGAN network cannot be built for grid `shape` with `channels`
/// stages ("" when it can): the discriminator halves the grid per stage.
std::string gan3d_problem(bool generator, const std::vector<int64_t>& shape,
                          const std::vector<int64_t>& channels);

/// [N, latent + conditions] -> [N, X, Y, Z] energies >= 0:
/// fc to channels[0] x base grid (the grid halved once per further stage,
/// rounded up), BatchNorm + LeakyReLU; per further stage a ConvTranspose3d
/// (kernel 4, stride 2: doubles the grid) + BatchNorm + LeakyReLU; a Conv3d
/// (kernel 3) to one channel, cropped to [X, Y, Z], ReLU.
struct Gan3dGeneratorImpl : torch::nn::Module {
  Gan3dGeneratorImpl(int64_t latent, int64_t conditions, std::vector<int64_t> shape,
                     const std::vector<int64_t>& channels);
  torch::Tensor forward(torch::Tensor x);
  torch::nn::Linear fc{nullptr};
  torch::nn::BatchNorm3d bn0{nullptr};
  torch::nn::Sequential up{nullptr};
  torch::nn::Conv3d out{nullptr};
  std::vector<int64_t> shape, base;
  int64_t width0;
};
TORCH_MODULE(Gan3dGenerator);

/// [N, X, Y, Z] -> [N, 1 + conditions]: per stage a Conv3d (kernel 4,
/// stride 2, padding 1) + LeakyReLU (no normalisation, so that a gradient
/// penalty applies per sample), then a Linear head: column 0 the real/fake
/// score, the others the regressed conditions.
struct Gan3dDiscriminatorImpl : torch::nn::Module {
  Gan3dDiscriminatorImpl(int64_t conditions, const std::vector<int64_t>& shape,
                         const std::vector<int64_t>& channels);
  torch::Tensor forward(torch::Tensor x);
  torch::nn::Sequential features{nullptr};
  torch::nn::Linear head{nullptr};
};
TORCH_MODULE(Gan3dDiscriminator);

}  // namespace itwin::models
