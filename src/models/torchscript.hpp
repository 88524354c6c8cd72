#pragma once
// TorchScript models (internal to src/models).

#include <memory>
#include <string>

#include "itwin/models/model.hpp"

namespace itwin::models {

/// Loads a module saved with torch.jit.save (scripted or traced) for training.
std::shared_ptr<Model> load_torchscript(const std::string& path, const std::string& step);

}  // namespace itwin::models
