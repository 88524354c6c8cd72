#pragma once
// Per-type step parsers; internal to src/config. Each reads every key its
// step type accepts; Reader::finish() then rejects the rest.

#include <string>
#include <vector>

#include "itwin/config/reader.hpp"
#include "itwin/config/specs.hpp"

namespace itwin::config {

DatasetSpec parse_dataset(Reader& r);
/// The keys of `format: netcdf` (parse_netcdf.cpp).
void parse_netcdf(Reader& r, DatasetSpec& d);
/// stream, max_memory, prefetch and `block_key` (block_rows, block_steps):
/// the streaming keys of hdf5 and netcdf (parse_stream.cpp).
void parse_stream(Reader& r, DatasetSpec& d, const char* block_key);
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

/// Loads the libraries of the top-level `plugins:` (parse_plugins.cpp); their
/// canonical paths. Errors are ConfigErrors at the entry.
std::vector<std::string> parse_plugins(Reader& top);

/// The spec of a step of type `kind` (one of the parsers above).
StepSpec parse_step_spec(StepKind kind, Reader& r);

}  // namespace itwin::config
