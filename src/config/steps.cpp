// Step types: their parsers and the step graph (what each needs and provides).
#include <algorithm>

#include "itwin/config/pipeline.hpp"
#include "itwin/util/error.hpp"
#include "itwin/util/strings.hpp"
#include "parse_steps.hpp"

namespace itwin::config {

StepSpec parse_step_spec(StepKind kind, Reader& r) {
  switch (kind) {
    case StepKind::Dataset:
      return parse_dataset(r);
    case StepKind::Model:
      return parse_model(r);
    case StepKind::Trainer:
      return parse_trainer(r);
    case StepKind::Predictor:
      return parse_predictor(r);
    case StepKind::Saver:
      return parse_saver(r);
    case StepKind::Command:
      return parse_command(r);
    case StepKind::GanTrainer:
      return parse_gan_trainer(r);
    case StepKind::Generate:
      return parse_generate(r);
  }
  throw ConfigError(r.mark().str() + ": unhandled step type");
}

const char* artifact_name(Artifact a) {
  switch (a) {
    case Artifact::Data:
      return "a dataset step";
    case Artifact::Model:
      return "a model step";
    case Artifact::Predictions:
      return "a predictor step";
  }
  return "?";
}

std::vector<Artifact> step_needs(const Step& s) {
  switch (s.kind) {
    case StepKind::Dataset:
      return {};
    case StepKind::Model:  // built-in models take their input and output sizes from the data
      switch (std::get<ModelSpec>(s.spec).arch) {
        case Arch::Torchscript:
        case Arch::Gan3dGenerator:  // sized by the config: inference needs no data
        case Arch::Gan3dDiscriminator:
          return {};
        case Arch::Cnn:
        case Arch::Mlp:
        case Arch::Lstm:
        case Arch::Resnet:
        case Arch::Unet1d:
          return {Artifact::Data};
      }
      return {Artifact::Data};
    case StepKind::Trainer:
      return {Artifact::Data, Artifact::Model};
    case StepKind::Predictor:
      return {Artifact::Data, Artifact::Model};
    case StepKind::Saver:
      return {Artifact::Predictions};
    case StepKind::Command:
      return {};
    case StepKind::GanTrainer:
      return {Artifact::Data, Artifact::Model};
    case StepKind::Generate:
      return {Artifact::Model};
  }
  return {};
}

std::vector<Artifact> step_provides(const Step& s) {
  switch (s.kind) {
    case StepKind::Dataset:
      return {Artifact::Data};
    case StepKind::Model:
      return {Artifact::Model};
    case StepKind::Trainer:
      return {Artifact::Model};
    case StepKind::Predictor:
      return {Artifact::Predictions};
    case StepKind::Saver:
      return {};
    case StepKind::Command:
      return {};
    case StepKind::GanTrainer:
      return {};  // it trains the model steps it names
    case StepKind::Generate:
      return {};
  }
  return {};
}

GanRole model_role(const ModelSpec& m) {
  switch (m.arch) {
    case Arch::Gan3dGenerator:
      return GanRole::Generator;
    case Arch::Gan3dDiscriminator:
      return GanRole::Discriminator;
    case Arch::Cnn:
    case Arch::Mlp:
    case Arch::Lstm:
    case Arch::Resnet:
    case Arch::Unet1d:
    case Arch::Torchscript:
      return m.role;
  }
  return m.role;
}

std::vector<ModelRef> step_model_refs(const Step& s) {
  switch (s.kind) {
    case StepKind::GanTrainer: {
      const auto& t = std::get<GanTrainerSpec>(s.spec);
      return {{"generator", t.generator.step, GanRole::Generator},
              {"discriminator", t.discriminator.step, GanRole::Discriminator}};
    }
    case StepKind::Generate:
      return {{"model", std::get<GenerateSpec>(s.spec).model, GanRole::Generator}};
    case StepKind::Dataset:
    case StepKind::Model:
    case StepKind::Trainer:
    case StepKind::Predictor:
    case StepKind::Saver:
    case StepKind::Command:
      return {};
  }
  return {};
}

namespace {

// A step that names model steps (a GAN's two networks): each must be an
// earlier model step of the right role.
void check_model_refs(const Pipeline& p, size_t at, const std::string& context) {
  const Step& s = p.steps[at];
  for (const auto& ref : step_model_refs(s)) {
    const Step* target = nullptr;
    std::vector<std::string> models;
    for (size_t i = 0; i < at; ++i) {
      if (p.steps[i].kind != StepKind::Model) continue;
      models.push_back(p.steps[i].name);
      if (p.steps[i].name == ref.step) target = &p.steps[i];
    }
    const std::string where =
        s.mark.str() + ": pipeline '" + p.name + "': step '" + s.name + "' (" + s.type() + "): ";
    const std::string role = gan_role_catalog().name(ref.role);
    if (!target) {
      throw ConfigError(where + "'" + ref.key + ": " + ref.step +
                        "' names no model step before it" +
                        (context.empty() ? "" : " (" + context + " leaves it out)") +
                        did_you_mean(ref.step, models) + "; the " + role +
                        " must be a model step before it (model steps: " +
                        (models.empty() ? std::string("none") : join(models, ", ")) + ")");
    }
    const auto& m = std::get<ModelSpec>(target->spec);
    if (model_role(m) != ref.role) {
      throw ConfigError(where + "'" + ref.key + ": " + ref.step + "' is a model of role '" +
                        gan_role_catalog().name(model_role(m)) + "' (arch " +
                        arch_catalog().name(m.arch) + ", " + target->mark.str() +
                        "); it must be a " + role + ": arch gan3d_" + role + ", or role: " + role +
                        " on an mlp or torchscript model");
    }
  }
}

}  // namespace

void check_step_graph(const Pipeline& p, const std::string& context) {
  std::vector<Artifact> have;
  for (const auto& s : p.steps) {
    for (Artifact need : step_needs(s)) {
      if (std::find(have.begin(), have.end(), need) != have.end()) continue;
      std::string why =
          s.kind == StepKind::Model
              ? " (a '" + std::string(arch_catalog().name(std::get<ModelSpec>(s.spec).arch)) +
                    "' model takes its input and output sizes from the data)"
              : "";
      throw ConfigError(s.mark.str() + ": pipeline '" + p.name + "': step '" + s.name + "' (" +
                        s.type() + ") needs " + artifact_name(need) + " before it" + why +
                        (context.empty() ? "" : ", which " + context + " leaves out"));
    }
    check_model_refs(p, static_cast<size_t>(&s - p.steps.data()), context);
    for (Artifact a : step_provides(s)) have.push_back(a);
  }
}

}  // namespace itwin::config
