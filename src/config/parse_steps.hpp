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

/// The spec of a step of type `kind` (one of the parsers above).
StepSpec parse_step_spec(StepKind kind, Reader& r);

}  // namespace itwin::config
