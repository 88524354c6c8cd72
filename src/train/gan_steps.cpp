// The gan_trainer and generate steps: checks at the step, training, export, generation.
#include "gan_steps.hpp"

#include "itwin/train/gan_trainer.hpp"
#include "itwin/train/generate.hpp"
#include "itwin/util/error.hpp"

namespace itwin::train {
namespace {

[[noreturn]] void config_problem(const config::Step& s, const std::string& what) {
  throw ConfigError(s.mark.str() + ": step '" + s.name + "' (" + s.type() + "): " + what);
}

GanNets nets_of(const config::GanTrainerSpec& spec, const StepModels& models,
                const torch::Device& device) {
  const auto& g = models.at(spec.generator.step);
  return {*g.model, *models.at(spec.discriminator.step).model, g.spec.latent, device};
}

}  // namespace

void check_gan_trainer(const config::Step& s, const config::Config& cfg, const StepModels& models,
                       const data::DataSplits& data, const torch::Device& device) {
  const auto& spec = std::get<config::GanTrainerSpec>(s.spec);
  try {
    gan_preflight(spec, nets_of(spec, models, device), data, cfg.distributed);
  } catch (const RuntimeError& e) {
    config_problem(s, e.what());
  }
}

void check_generate(const config::Step& s, const StepModels& models, const torch::Device& device) {
  const auto& spec = std::get<config::GenerateSpec>(s.spec);
  const auto& g = models.at(spec.model);
  const auto given = static_cast<int64_t>(spec.conditions.size());
  if (g.spec.arch == config::Arch::Gan3dGenerator && g.spec.conditions != given) {
    config_problem(s, "model '" + spec.model + "' (gan3d_generator) takes " +
                          std::to_string(g.spec.conditions) +
                          " condition(s), but 'conditions' gives " + std::to_string(given));
  }
  try {
    generate_preflight(spec, *g.model, g.spec.latent, device);
  } catch (const RuntimeError& e) {
    config_problem(s, e.what());
  }
}

StepOutcome run_gan_trainer(const config::Step& s, const StepModels& models,
                            const data::DataSplits& data, const TrainerEnv& env,
                            RunSession& session) {
  const auto& spec = std::get<config::GanTrainerSpec>(s.spec);
  auto& g = *models.at(spec.generator.step).model;
  auto& d = *models.at(spec.discriminator.step).model;
  GanResult r = train_gan(spec, nets_of(spec, models, env.device), data, env);
  record_training(session, r);
  session.summary()["generator_steps"] = r.generator_steps;
  session.summary()["discriminator_steps"] = r.discriminator_steps;
  if (!session.lead()) return r.paused ? StepOutcome::Paused : StepOutcome::Done;
  // Both networks as state dicts; model.pt (what registries and MLflow take) is the generator.
  const std::string dir = session.run_dir();
  models::save_state_dict(g, dir + "/generator.pt");
  models::save_state_dict(d, dir + "/discriminator.pt");
  models::save_state_dict(g, dir + "/model.pt");
  bool ts = g.save_torchscript(dir + "/generator.ts.pt");
  if (ts) g.save_torchscript(dir + "/model.ts.pt");
  bool dts = d.save_torchscript(dir + "/discriminator.ts.pt");
  session.say(
      "trained %lld epochs (%lld discriminator and %lld generator steps) in %.1fs%s; %.0f "
      "samples/s\n",
      static_cast<long long>(r.epochs_done), static_cast<long long>(r.discriminator_steps),
      static_cast<long long>(r.generator_steps), r.train_seconds,
      r.early_stopped ? ", stopped early"
      : r.paused      ? ", paused (resume with --resume)"
                      : "",
      r.samples_per_s);
  for (const auto& [k, v] : r.final_metrics) {
    if (k.find("_dist") != std::string::npos && k.rfind("train_", 0) != 0)
      session.say("  %s %.4f\n", k.c_str(), v);
  }
  session.say("models saved: %s/generator.pt, discriminator.pt%s%s\n", dir.c_str(),
              ts ? ", generator.ts.pt" : "", dts ? ", discriminator.ts.pt" : "");
  return r.paused ? StepOutcome::Paused : StepOutcome::Done;
}

void run_generate(const config::Step& s, const config::Config& cfg, const StepModels& models,
                  const torch::Device& device, RunSession& session) {
  const auto& spec = std::get<config::GenerateSpec>(s.spec);
  const auto& g = models.at(spec.model);
  GenerateResult r =
      generate_samples(spec, *g.model, g.spec.latent, cfg.run.seed, session.comm(), device);
  std::string shape;
  for (auto v : r.sample_shape) shape += (shape.empty() ? "" : "x") + std::to_string(v);
  session.say("generated %lld samples of %s in %.1fs (%.0f samples/s) on %d rank(s)\n",
              static_cast<long long>(r.samples), shape.c_str(), r.seconds,
              r.seconds > 0 ? static_cast<double>(r.samples) / r.seconds : 0.0,
              session.comm().world());
  if (session.lead()) session.say("samples saved: %s\n", spec.path.c_str());
  session.summary()["generated"] = {
      {"samples", r.samples}, {"path", spec.path}, {"seconds", r.seconds}};
}

}  // namespace itwin::train
