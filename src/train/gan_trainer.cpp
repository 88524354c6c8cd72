// The adversarial training loop: two networks, two strategies, two
// optimizers (gan_trainer.hpp); its pieces are listed in gan_loop.hpp.
#include "itwin/train/gan_trainer.hpp"

#include "gan_loop.hpp"
#include "loop.hpp"

namespace itwin::train {

GanTrainer::GanTrainer(const config::GanTrainerSpec& spec, GanNets nets,
                       const data::DataSplits& data, const TrainerEnv& env)
    : spec_(spec),
      nets_(nets),
      pair_(nets.generator, nets.discriminator),
      data_(data),
      env_(env),
      comm_(env.comm),
      ckpt_root_(env.run_dir + "/checkpoints"),
      progress_(env.print, spec.log_every),
      probe_(spec, in_memory(data.val, "validation")) {
  check_precision(spec.precision, env.device);
  if (!comm_) {
    own_comm_ = comm::make_backend(config::BackendKind::Local, {});
    comm_ = own_comm_.get();
  }
  world_ = comm_->world();
  update_ = std::make_unique<GanUpdate>(spec, nets, *comm_, env.run.seed, data.sample_shape);
}

GanResult GanTrainer::run() {
  gan_preflight(spec_, nets_, data_, env_.dist);
  if (spec_.energy_weight > 0) {  // the data's sum(x) / E: what the generator's totals must follow
    const data::TensorData train = in_memory(data_.train, "training");
    auto e = energy_of(train.y, spec_.energy_column).to(torch::kFloat64);
    update_->set_energy_ratio(
        (train.x.to(torch::kFloat64).flatten(1).sum(1) / e).mean().item<double>());
  }
  torch::manual_seed(env_.run.seed + 1);  // dropout masks, if a network has any
  resume();
  if (int sig = agreed_stop(*comm_)) stopped(sig, "before the first step", ckpt_root_, "");
  for (int64_t epoch = st_.epochs_done; epoch < spec_.epochs; ++epoch) {
    run_epoch(epoch);
    if (result_.early_stopped || result_.paused) break;
  }
  result_.final_metrics = last_;
  if (spec_.test && data_.test.size() > 0 && !result_.paused) {
    if (int sig = agreed_stop(*comm_)) {
      stopped(sig, "before the test evaluation", ckpt_root_, checkpoint_name(st_.epochs_done));
    }
    PhysicsProbe test(spec_, in_memory(data_.test, "test"));
    for (const auto& [k, v] :
         test.run(nets_.generator, nets_.latent, "test_", env_.run.seed, comm_, env_.device)) {
      result_.final_metrics[k] = v;
    }
  }
  result_.epochs_done = st_.epochs_done;
  result_.steps = st_.step;
  result_.discriminator_steps = st_.step;
  result_.generator_steps = st_.counters["generator_steps"];
  result_.train_seconds = st_.train_seconds;
  result_.samples_per_s =
      session_seconds_ > 0 ? static_cast<double>(session_samples_) / session_seconds_ : 0;
  result_.profile = times_;
  result_.rank_profiles = gather_profiles(*comm_, times_);
  return result_;
}

GanResult train_gan(const config::GanTrainerSpec& spec, GanNets nets, const data::DataSplits& data,
                    const TrainerEnv& env) {
  return GanTrainer(spec, nets, data, env).run();
}

std::map<std::string, double> evaluate_generator(const config::GanTrainerSpec& spec, GanNets nets,
                                                 const data::TensorData& held,
                                                 const std::string& prefix, uint64_t seed,
                                                 comm::Backend* comm) {
  return PhysicsProbe(spec, held).run(nets.generator, nets.latent, prefix, seed, comm, nets.device);
}

}  // namespace itwin::train
