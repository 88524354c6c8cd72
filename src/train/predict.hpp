#pragma once
// Predictor and saver steps (internal to src/train).

#include <torch/torch.h>

#include "itwin/config/specs.hpp"
#include "itwin/data/dataset.hpp"
#include "itwin/models/model.hpp"

namespace itwin::train {

struct Predictions {
  torch::Tensor values;  ///< [N] classes, or [N, C] probabilities / raw outputs
  torch::Tensor labels;  ///< the split's labels (for reference columns)
  config::PredictOutput output = config::PredictOutput::Class;
  double accuracy = -1;  ///< classification with labels: fraction correct
};

Predictions predict(const config::PredictorSpec& spec, models::Model& model,
                    const data::DataSplits& data, const std::string& step,
                    const torch::Device& device = torch::kCPU);

/// Writes CSV (index, prediction..., label...) or JSON lines, atomically.
void save_predictions(const Predictions& p, const config::SaverSpec& spec);

}  // namespace itwin::train
