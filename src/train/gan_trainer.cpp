// The adversarial training loop: two networks, two strategies, two optimizers (gan_trainer.hpp).
#include "itwin/train/gan_trainer.hpp"

#include <chrono>
#include <cmath>

#include "../models/tensor_check.hpp"
#include "gan_common.hpp"
#include "itwin/train/schedule.hpp"
#include "itwin/util/error.hpp"
#include "itwin/util/log.hpp"
#include "loop.hpp"
#include "optimizer.hpp"

namespace itwin::train {
namespace {

using Clock = std::chrono::steady_clock;

double since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

const char* const kDiscriminatorOptimizer = "optimizer-discriminator.pt";

// The two networks as one model for checkpoints: one state dict whose names
// are "generator.*" and "discriminator.*".
class PairModel : public models::Model {
 public:
  PairModel(models::Model& g, models::Model& d) : g_(g), d_(d) {}
  torch::Tensor forward(const torch::Tensor&) override {
    throw RuntimeError("a generator-discriminator pair has no forward");
  }
  std::vector<torch::Tensor> parameters() override {
    auto v = g_.parameters();
    for (auto& p : d_.parameters()) v.push_back(p);
    return v;
  }
  std::vector<std::pair<std::string, torch::Tensor>> state() override {
    std::vector<std::pair<std::string, torch::Tensor>> v;
    for (auto& [k, t] : g_.state()) v.emplace_back("generator." + k, t);
    for (auto& [k, t] : d_.state()) v.emplace_back("discriminator." + k, t);
    return v;
  }
  void set_training(bool on) override {
    g_.set_training(on);
    d_.set_training(on);
  }
  void to(const torch::Device& d) override {
    g_.to(d);
    d_.to(d);
  }
  std::string describe() const override {
    return "generator " + g_.describe() + ", discriminator " + d_.describe();
  }

 private:
  models::Model& g_;
  models::Model& d_;
};

// One epoch's sums (reduced over ranks at its end), weighted by samples.
enum Sum { DLoss, Penalty, Aux, DReal, DFake, DSamples, GLoss, GAux, Energy, GSamples, kSums };

void zero_grads(torch::optim::Optimizer& opt, std::vector<torch::Tensor>& params) {
  opt.zero_grad();
  for (auto& p : params)
    if (p.grad().defined()) p.mutable_grad().zero_();
}

class GanTrainer {
 public:
  GanTrainer(const config::GanTrainerSpec& spec, GanNets nets, const data::DataSplits& data,
             const TrainerEnv& env)
      : spec_(spec),
        nets_(nets),
        pair_(nets.generator, nets.discriminator),
        data_(data),
        env_(env),
        comm_(env.comm),
        ckpt_root_(env.run_dir + "/checkpoints"),
        progress_(env.print, spec.log_every),
        probe_(spec, in_memory(data.val, "validation")) {
    if (!comm_) {
      own_comm_ = comm::make_backend(config::BackendKind::Local, {});
      comm_ = own_comm_.get();
    }
    world_ = comm_->world();
    sample_shape_ = data.sample_shape;
    conditions_ = data.train.head(1).y.size(1);
  }

  GanResult run() {
    gan_preflight(spec_, nets_, data_, env_.dist);
    if (spec_.energy_weight >
        0) {  // the data's sum(x) / E: what the generator's totals must follow
      const data::TensorData train = in_memory(data_.train, "training");
      auto e = energy_of(train.y, spec_.energy_column).to(torch::kFloat64);
      energy_ratio_ = (train.x.to(torch::kFloat64).flatten(1).sum(1) / e).mean().item<double>();
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
    auto raw = times_.raw();
    std::vector<double> all(raw.size() * static_cast<size_t>(world_));
    comm_->allgather(raw.data(), all.data(), raw.size(), comm::DType::F64);
    for (int r = 0; r < world_; ++r)
      result_.rank_profiles.push_back(PhaseTimes::from_raw(all.data() + raw.size() * r));
    return result_;
  }

 private:
  struct Epoch {
    int64_t epoch = 0;
    double lr_g = 0, lr_d = 0;
    std::vector<int64_t> order;
    int64_t steps = 0;
    std::vector<double> sums = std::vector<double>(kSums, 0.0);
    Clock::time_point t0 = Clock::now();
    int64_t samples = 0, carried_samples = 0;
    double carried_seconds = 0;
    PhaseTimes times;
    double seconds() const { return carried_seconds + since(t0); }
  };

  // Weights first (rank 0's are broadcast by the strategies), then the
  // optimizers over them, then their states and the loop state.
  void resume() {
    std::optional<std::string> from;
    int64_t from_step = 0;
    if (env_.resume) from = resume_point(*comm_, ckpt_root_, &from_step);
    if (env_.resume) env_.sink.rewind(from ? from_step : 0);
    if (from) models::load_state_dict(pair_, *from + "/model.pt");
    sg_ = make_strategy(env_.dist, *comm_);
    sd_ = make_strategy(env_.dist, *comm_);
    sg_->setup(nets_.generator);
    sd_->setup(nets_.discriminator);
    og_ = make_optimizer(spec_.generator.optimizer, sg_->optimizer_params(nets_.generator));
    od_ = make_optimizer(spec_.discriminator.optimizer, sd_->optimizer_params(nets_.discriminator));
    gparams_ = nets_.generator.parameters();
    dparams_ = nets_.discriminator.parameters();
    if (!from) return;
    st_ = load_checkpoint(*from, nullptr, og_.get());
    const std::string file = *from + "/" + kDiscriminatorOptimizer;
    try {
      models::check_archive(file);
      torch::load(*od_, file);
    } catch (const c10::Error& e) {
      std::string m = e.what_without_backtrace();
      throw RuntimeError("checkpoint " + *from + " cannot be restored: " + file + ": " +
                         m.substr(0, m.find('\n')));
    }
    result_.resumed = true;
    if (!st_.history.empty()) last_ = st_.history.back();
    spdlog::info("resuming from {} ({} epochs done, step {})", *from, st_.epochs_done, st_.step);
  }

  // Every rank calls this at the same point; rank 0 writes (the optimizers are replicated).
  void write_checkpoint(const std::string& name) {
    auto t0 = Clock::now();
    if (comm_->rank() == 0) {
      CheckpointFiles extra = {
          {kDiscriminatorOptimizer, [this](const std::string& p) { torch::save(*od_, p); }}};
      save_checkpoint(ckpt_root_, name, pair_, *og_, st_, env_.config_yaml, {}, extra);
    }
    times_.add(Phase::Checkpoint, since(t0));
  }

  void run_epoch(int64_t epoch) {
    Epoch e;
    e.epoch = epoch;
    e.lr_g = lr_at(spec_.generator.scheduler, spec_.generator.optimizer.lr, epoch, spec_.epochs);
    e.lr_d =
        lr_at(spec_.discriminator.scheduler, spec_.discriminator.optimizer.lr, epoch, spec_.epochs);
    set_lr(*og_, e.lr_g);
    set_lr(*od_, e.lr_d);
    pair_.set_training(true);
    e.order = data_.train.samples().epoch_order(data_.shuffle, env_.run.seed,
                                                static_cast<uint64_t>(epoch), comm_->rank(), world_,
                                                spec_.drop_last);
    const auto batch = static_cast<size_t>(spec_.batch_size);
    e.steps = static_cast<int64_t>((e.order.size() + batch - 1) / batch);
    if (spec_.max_steps > 0) e.steps = std::min(e.steps, spec_.max_steps);
    progress_.begin_epoch(epoch + 1, spec_.epochs, e.steps);
    int64_t first = 0;
    if (st_.epoch_step > 0) {  // a mid-epoch checkpoint: continue where it stopped
      first = st_.epoch_step;
      if (comm_->rank() == 0 && st_.epoch_sums.size() == e.sums.size()) e.sums = st_.epoch_sums;
      if (comm_->rank() == 0) e.samples = e.carried_samples = st_.epoch_samples;
      e.carried_seconds = st_.epoch_seconds;
      st_.epoch_step = 0;
    }
    data_.train.samples().begin_pass(e.order, static_cast<size_t>(first) * batch, batch);
    for (int64_t i = first; i < e.steps; ++i) {
      batch_step(e, i);
      // Stop requests: every rank agrees at the same boundary (every step
      // alone, every 10th with several ranks), as the Trainer does.
      if (i + 1 == e.steps || (world_ > 1 && (i + 1) % 10 != 0)) continue;
      if (int sig = agreed_stop(*comm_)) {
        if (world_ > 1) comm_->allreduce(e.sums.data(), e.sums.size(), comm::DType::F64);
        double done = static_cast<double>(e.samples);
        if (world_ > 1) comm_->allreduce(&done, 1, comm::DType::F64);
        st_.epoch_step = i + 1;
        st_.epoch_sums = e.sums;
        st_.epoch_samples = static_cast<int64_t>(done);
        st_.epoch_seconds = e.seconds();
        const std::string name = checkpoint_name(epoch + 1, i + 1);
        write_checkpoint(name);
        if (world_ > 1) comm_->barrier();
        stopped(sig, "at epoch " + std::to_string(epoch + 1) + ", step " + std::to_string(i + 1),
                ckpt_root_, name);
      }
    }
    result_.early_stopped = end_epoch(epoch, e);
  }

  [[noreturn]] void diverged(const char* which, double v, const Epoch& e, int64_t i) {
    auto ck = latest_checkpoint(ckpt_root_);
    throw RuntimeError(
        std::string("training diverged: the ") + which + " loss is " + std::to_string(v) +
            " at epoch " + std::to_string(e.epoch + 1) + ", step " + std::to_string(i + 1) +
            (ck ? "; the last good checkpoint is " + *ck : "; no checkpoint was written yet") +
            " (try lower learning rates or grad_clip)",
        kExitDiverged);
  }

  // One batch: a discriminator step, and every critic_steps-th batch a generator step.
  void batch_step(Epoch& e, int64_t i) {
    const size_t batch = static_cast<size_t>(spec_.batch_size);
    const size_t b = static_cast<size_t>(i) * batch, end = std::min(e.order.size(), b + batch);
    Laps laps(e.times);
    const std::vector<int64_t> ids(e.order.begin() + static_cast<long>(b),
                                   e.order.begin() + static_cast<long>(end));
    auto bt = data_.train.gather(e.order, b, end);
    bt.x = bt.x.to(env_.device, /*non_blocking=*/true);
    bt.y = bt.y.to(env_.device, /*non_blocking=*/true);
    auto yc = scaled_conditions(bt.y, spec_.condition_scale);
    const double n = static_cast<double>(end - b);
    laps.lap(Phase::Data);

    // 1. The discriminator, on real samples and detached generated ones.
    torch::Tensor fake;
    {
      torch::NoGradGuard ng;
      fake =
          generate(nets_.generator, nets_.latent, yc, ids,
                   noise_key(env_.run.seed, e.epoch, NoisePurpose::Discriminator), sample_shape_);
    }
    auto out_real = nets_.discriminator.forward(bt.x), out_fake = nets_.discriminator.forward(fake);
    auto d_adv = discriminator_loss(spec_.loss, out_real.select(1, 0), out_fake.select(1, 0));
    auto d_loss = d_adv;
    double gp = 0, aux = 0;
    if (spec_.gradient_penalty > 0) {
      auto eps = keyed_uniform(ids, noise_key(env_.run.seed, e.epoch, NoisePurpose::Penalty))
                     .to(env_.device);
      auto pen = gradient_penalty(nets_.discriminator, bt.x, fake, eps);
      gp = pen.item<double>();
      d_loss = d_loss + spec_.gradient_penalty * pen;
    }
    if (spec_.aux_weight > 0) {
      auto a = (out_real.slice(1, 1, 1 + conditions_) - yc).abs().mean();
      aux = a.item<double>();
      d_loss = d_loss + spec_.aux_weight * a;
    }
    const double dl = d_loss.item<double>();
    laps.lap(Phase::Forward);
    if (!std::isfinite(dl)) diverged("discriminator", dl, e, i);
    zero_grads(*od_, dparams_);
    sd_->before_backward(true);
    d_loss.backward();
    laps.lap(Phase::Backward);
    sd_->reduce_gradients();
    laps.lap(Phase::CommExposed);
    sd_->step(*od_, spec_.grad_clip);
    laps.lap(Phase::Optimizer);
    e.times.add(Phase::Comm, sd_->take_comm_seconds());
    auto& s = e.sums;
    s[DLoss] += dl * n;
    s[Penalty] += gp * n;
    s[Aux] += aux * n;
    s[DReal] += out_real.select(1, 0).mean().item<double>() * n;
    s[DFake] += out_fake.select(1, 0).mean().item<double>() * n;
    s[DSamples] += n;
    ++st_.step;

    // 2. The generator, every critic_steps-th discriminator step.
    double gl = std::nan("");
    if (st_.step % spec_.critic_steps == 0) {
      gl = generator_step(e, i, ids, bt, yc, n, laps);
      ++st_.counters["generator_steps"];
    }
    e.times.add_steps(1);
    if (result_.first_step_unix == 0) result_.first_step_unix = now_unix();
    const int64_t every = env_.sink.step_interval();
    if (every > 0 && st_.step % every == 0) {
      std::map<std::string, double> v = {{"train_d_loss_step", dl}, {"lr_d", e.lr_d}};
      if (std::isfinite(gl)) v["train_g_loss_step"] = gl;
      env_.sink.log({st_.step, e.epoch + 1, now_unix(), true, v});
      laps.lap(Phase::Logging);
    }
    e.samples += static_cast<int64_t>(end - b);
    progress_.step(i + 1, e.samples, dl);
  }

  // Only the generator's parameters receive gradients (backward with
  // inputs): the discriminator's hooks stay quiet and its gradients untouched.
  double generator_step(Epoch& e, int64_t i, const std::vector<int64_t>& ids,
                        const data::TensorData& bt, const torch::Tensor& yc, double n, Laps& laps) {
    auto fake = generate(nets_.generator, nets_.latent, yc, ids,
                         noise_key(env_.run.seed, e.epoch, NoisePurpose::Generator), sample_shape_);
    auto out = nets_.discriminator.forward(fake);
    auto g_loss = generator_loss(spec_.loss, out.select(1, 0));
    double aux = 0, energy = 0;
    if (spec_.aux_weight > 0) {
      auto a = (out.slice(1, 1, 1 + conditions_) - yc).abs().mean();
      aux = a.item<double>();
      g_loss = g_loss + spec_.aux_weight * a;
    }
    if (spec_.energy_weight > 0) {
      auto c = energy_consistency(fake, energy_of(bt.y, spec_.energy_column), energy_ratio_);
      energy = c.item<double>();
      g_loss = g_loss + spec_.energy_weight * c;
    }
    const double gl = g_loss.item<double>();
    laps.lap(Phase::Forward);
    if (!std::isfinite(gl)) diverged("generator", gl, e, i);
    zero_grads(*og_, gparams_);
    sg_->before_backward(true);
    torch::autograd::backward({g_loss}, {}, c10::nullopt, false, gparams_);
    laps.lap(Phase::Backward);
    sg_->reduce_gradients();
    laps.lap(Phase::CommExposed);
    sg_->step(*og_, spec_.grad_clip);
    laps.lap(Phase::Optimizer);
    e.times.add(Phase::Comm, sg_->take_comm_seconds());
    e.sums[GLoss] += gl * n;
    e.sums[GAux] += aux * n;
    e.sums[Energy] += energy * n;
    e.sums[GSamples] += n;
    return gl;
  }

  bool end_epoch(int64_t epoch, Epoch& e) {
    const double secs = e.seconds();
    session_seconds_ += secs;
    session_samples_ += (e.samples - e.carried_samples) * world_;
    st_.train_seconds += secs;
    sg_->sync_buffers(nets_.generator);
    sd_->sync_buffers(nets_.discriminator);
    if (world_ > 1) comm_->allreduce(e.sums.data(), e.sums.size(), comm::DType::F64);
    double all_samples = static_cast<double>(e.samples);
    if (world_ > 1) comm_->allreduce(&all_samples, 1, comm::DType::F64);
    auto raw = e.times.raw();  // phases: the mean over ranks
    if (world_ > 1) comm_->allreduce(raw.data(), raw.size(), comm::DType::F64);
    PhaseTimes mean = PhaseTimes::from_raw(raw.data());
    times_.merge(e.times);

    const auto& s = e.sums;
    std::map<std::string, double> m;
    const double nd = std::max(1.0, s[DSamples]), ng = s[GSamples];
    m["train_d_loss"] = s[DLoss] / nd;
    m["train_d_real"] = s[DReal] / nd;
    m["train_d_fake"] = s[DFake] / nd;
    if (spec_.gradient_penalty > 0) m["train_gp"] = s[Penalty] / nd;
    if (spec_.aux_weight > 0) m["train_aux"] = s[Aux] / nd;
    if (ng > 0) {
      m["train_g_loss"] = s[GLoss] / ng;
      if (spec_.aux_weight > 0) m["train_g_aux"] = s[GAux] / ng;
      if (spec_.energy_weight > 0) m["train_energy"] = s[Energy] / ng;
    }
    for (const auto& kv :
         probe_.run(nets_.generator, nets_.latent, "val_", env_.run.seed, comm_, env_.device)) {
      m.insert(kv);
    }
    m["lr_g"] = e.lr_g;
    m["lr_d"] = e.lr_d;
    m["epoch_time_s"] = secs;
    m["samples_per_s"] = secs > 0 ? all_samples / secs : 0;
    for (const auto& [phase, ms] : mean.ms_per_step()) {
      if (phase != "checkpoint" && phase != "logging") m["time_" + phase + "_ms"] = ms;
    }
    st_.epochs_done = epoch + 1;
    st_.history.push_back(m);
    last_ = m;
    auto tl = Clock::now();
    env_.sink.log({st_.step, epoch + 1, now_unix(), false, m});
    times_.add(Phase::Logging, since(tl));
    progress_.end_epoch(summary_line(epoch + 1, spec_.epochs, m));
    EpochEnd end =
        end_of_epoch(*comm_, ckpt_root_,
                     {spec_.checkpoint, spec_.early_stopping, spec_.epochs, env_.until_epoch},
                     epoch, m, st_, [this](const std::string& name) { write_checkpoint(name); });
    result_.paused = end.paused;
    return end.early;
  }

  const config::GanTrainerSpec& spec_;
  GanNets nets_;
  PairModel pair_;
  const data::DataSplits& data_;
  const TrainerEnv& env_;
  std::unique_ptr<comm::Backend> own_comm_;
  comm::Backend* comm_;
  int world_ = 1;
  std::string ckpt_root_;
  Progress progress_;
  PhysicsProbe probe_;
  std::vector<int64_t> sample_shape_;
  int64_t conditions_ = 0;
  double energy_ratio_ = 1;
  std::unique_ptr<Strategy> sg_, sd_;
  std::unique_ptr<torch::optim::Optimizer> og_, od_;
  std::vector<torch::Tensor> gparams_, dparams_;
  TrainState st_;
  GanResult result_;
  PhaseTimes times_;
  std::map<std::string, double> last_;
  double session_seconds_ = 0;
  int64_t session_samples_ = 0;
};

}  // namespace

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
