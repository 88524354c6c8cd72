#pragma once
// Per-type step parsers; internal to src/config. Each reads every key its
// step type accepts; Reader::finish() then rejects the rest.

#include "itwin/config/reader.hpp"
#include "itwin/config/specs.hpp"

namespace itwin::config {

DatasetSpec parse_dataset(Reader& r);
ModelSpec parse_model(Reader& r);
TrainerSpec parse_trainer(Reader& r);
PredictorSpec parse_predictor(Reader& r);
SaverSpec parse_saver(Reader& r);
CommandSpec parse_command(Reader& r);
GanTrainerSpec parse_gan_trainer(Reader& r);
GenerateSpec parse_generate(Reader& r);

/// `optimizer:` and `scheduler:` of `r` (a name or a map), shared by the trainers.
void parse_optimizer(Reader& r, OptimizerSpec& op);
void parse_schedule(Reader& r, SchedulerSpec& sc);

/// The spec of a step of type `kind` (one of the parsers above).
StepSpec parse_step_spec(StepKind kind, Reader& r);

}  // namespace itwin::config
