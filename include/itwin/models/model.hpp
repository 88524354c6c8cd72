#pragma once
/// A trainable model, whatever made it: a built-in LibTorch module or a
/// TorchScript module scripted/traced in Python. The trainer sees only this.

#include <torch/torch.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "itwin/config/specs.hpp"

namespace itwin::models {

class Model {
 public:
  virtual ~Model() = default;
  virtual torch::Tensor forward(const torch::Tensor& x) = 0;
  virtual std::vector<torch::Tensor> parameters() = 0;
  /// Parameters and buffers under their PyTorch state-dict names.
  virtual std::vector<std::pair<std::string, torch::Tensor>> state() = 0;
  virtual void set_training(bool on) = 0;
  /// Moves parameters and buffers to `d` (before an optimizer is made).
  virtual void to(const torch::Device& d) = 0;
  virtual std::string describe() const = 0;
  /// Writes a TorchScript file when the model is one; false otherwise.
  virtual bool save_torchscript(const std::string& path) {
    (void)path;
    return false;
  }

  int64_t num_parameters();
};

/// What the data tells the model builder.
struct ModelInput {
  std::vector<int64_t> sample_shape;  ///< one sample, e.g. [1, 28, 28]
  int64_t outputs = 0;                ///< classes or regression targets
};

/// Why a built-in architecture cannot take samples of `in` ("" when it can),
/// e.g. "model 'cnn' needs an image [C, H, W] ... but the data gives [8]".
std::string input_problem(const config::ModelSpec& spec, const ModelInput& in);

/// Builds the model a step describes (and loads `weights` when given).
/// Errors name the step and say what input the architecture needs.
std::shared_ptr<Model> build_model(const config::ModelSpec& spec, const ModelInput& in,
                                   const std::string& step);

/// The state dict as a file that Python reads with `torch.load(path)` (a dict
/// of name -> tensor, ready for `model.load_state_dict`). Written atomically.
void save_state_dict(Model& m, const std::string& path);

/// Loads a file written by save_state_dict (or by Python's
/// `torch.save(model.state_dict(), path)`). Every name and shape must match.
void load_state_dict(Model& m, const std::string& path);

}  // namespace itwin::models
