#pragma once
// The executors of the generative steps, gan_trainer and generate (internal
// to src/train): steps.cpp calls them with the models its model steps made.

#include <map>
#include <memory>
#include <string>

#include "itwin/config/pipeline.hpp"
#include "itwin/data/dataset.hpp"
#include "itwin/models/model.hpp"
#include "itwin/train/session.hpp"
#include "itwin/train/trainer.hpp"
#include "steps.hpp"

namespace itwin::train {

/// The models of a pipeline's model steps, by step name, with their specs.
struct StepModel {
  config::ModelSpec spec;
  std::shared_ptr<models::Model> model;
};
using StepModels = std::map<std::string, StepModel>;

/// Config-caused mismatches (shapes, conditions, settings) as ConfigErrors at
/// the step; `device`: where the models are.
void check_gan_trainer(const config::Step& s, const config::Config& cfg, const StepModels& models,
                       const data::DataSplits& data, const torch::Device& device);
void check_generate(const config::Step& s, const StepModels& models, const torch::Device& device);

StepOutcome run_gan_trainer(const config::Step& s, const StepModels& models,
                            const data::DataSplits& data, const TrainerEnv& env,
                            RunSession& session);
void run_generate(const config::Step& s, const config::Config& cfg, const StepModels& models,
                  const torch::Device& device, RunSession& session);

/// summary.json's training entries (metrics, epochs, steps, profile); steps.cpp.
void record_training(RunSession& session, const TrainResult& r);

}  // namespace itwin::train
