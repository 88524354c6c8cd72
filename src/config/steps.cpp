// Step types: their parsers and the step graph (what each needs and provides).
#include <algorithm>

#include "itwin/config/pipeline.hpp"
#include "itwin/util/error.hpp"
#include "itwin/util/strings.hpp"
#include "parse_steps.hpp"

namespace itwin::config {

StepSpec parse_step_spec(StepKind kind, Reader& r) {
  switch (kind) {
    case StepKind::Dataset: return parse_dataset(r);
    case StepKind::Model: return parse_model(r);
    case StepKind::Trainer: return parse_trainer(r);
    case StepKind::Predictor: return parse_predictor(r);
    case StepKind::Saver: return parse_saver(r);
    case StepKind::Command: return parse_command(r);
  }
  throw ConfigError(r.mark().str() + ": unhandled step type");
}

const char* artifact_name(Artifact a) {
  switch (a) {
    case Artifact::Data: return "a dataset step";
    case Artifact::Model: return "a model step";
    case Artifact::Predictions: return "a predictor step";
  }
  return "?";
}

std::vector<Artifact> step_needs(const Step& s) {
  switch (s.kind) {
    case StepKind::Dataset: return {};
    case StepKind::Model:  // built-in models take their input and output sizes from the data
      return std::get<ModelSpec>(s.spec).arch == Arch::Torchscript ? std::vector<Artifact>{}
                                                                   : std::vector<Artifact>{Artifact::Data};
    case StepKind::Trainer: return {Artifact::Data, Artifact::Model};
    case StepKind::Predictor: return {Artifact::Data, Artifact::Model};
    case StepKind::Saver: return {Artifact::Predictions};
    case StepKind::Command: return {};
  }
  return {};
}

std::vector<Artifact> step_provides(const Step& s) {
  switch (s.kind) {
    case StepKind::Dataset: return {Artifact::Data};
    case StepKind::Model: return {Artifact::Model};
    case StepKind::Trainer: return {Artifact::Model};
    case StepKind::Predictor: return {Artifact::Predictions};
    case StepKind::Saver: return {};
    case StepKind::Command: return {};
  }
  return {};
}

void check_step_graph(const Pipeline& p, const std::string& context) {
  std::vector<Artifact> have;
  for (const auto& s : p.steps) {
    for (Artifact need : step_needs(s)) {
      if (std::find(have.begin(), have.end(), need) != have.end()) continue;
      std::string why = s.kind == StepKind::Model ? " (a '" + std::string(arch_catalog().name(std::get<ModelSpec>(s.spec).arch)) +
                                                        "' model takes its input and output sizes from the data)"
                                                  : "";
      throw ConfigError(s.mark.str() + ": pipeline '" + p.name + "': step '" + s.name + "' (" + s.type() + ") needs " +
                        artifact_name(need) + " before it" + why +
                        (context.empty() ? "" : ", which " + context + " leaves out"));
    }
    for (Artifact a : step_provides(s)) have.push_back(a);
  }
}

}  // namespace itwin::config
