// An epoch of the adversarial trainer: its batches (gan_update.cpp steps
// them), and its end: the sums, the physics probe on the validation split,
// loggers, checkpoints and early stopping.
#include <algorithm>
#include <cmath>

#include "gan_loop.hpp"
#include "itwin/train/schedule.hpp"
#include "itwin/util/error.hpp"
#include "loop.hpp"
#include "optimizer.hpp"

namespace itwin::train {

std::map<std::string, double> gan_epoch_metrics(const config::GanTrainerSpec& spec,
                                                const std::vector<double>& s) {
  std::map<std::string, double> m;
  const double nd = std::max(1.0, s[DSamples]), ng = s[GSamples];
  m["train_d_loss"] = s[DLoss] / nd;
  m["train_d_real"] = s[DReal] / nd;
  m["train_d_fake"] = s[DFake] / nd;
  if (spec.gradient_penalty > 0) m["train_gp"] = s[Penalty] / nd;
  if (spec.aux_weight > 0) m["train_aux"] = s[Aux] / nd;
  if (ng > 0) {
    m["train_g_loss"] = s[GLoss] / ng;
    if (spec.aux_weight > 0) m["train_g_aux"] = s[GAux] / ng;
    if (spec.energy_weight > 0) m["train_energy"] = s[Energy] / ng;
  }
  return m;
}

double GanTrainer::Epoch::seconds() const {
  return carried_seconds + std::chrono::duration<double>(Clock::now() - t0).count();
}

void GanTrainer::run_epoch(int64_t epoch) {
  Epoch e;
  e.epoch = epoch;
  e.lr_g = lr_at(spec_.generator.scheduler, spec_.generator.optimizer.lr, epoch, spec_.epochs);
  e.lr_d =
      lr_at(spec_.discriminator.scheduler, spec_.discriminator.optimizer.lr, epoch, spec_.epochs);
  set_lr(update_->generator_optimizer(), e.lr_g);
  set_lr(update_->discriminator_optimizer(), e.lr_d);
  pair_.set_training(true);
  EpochStart start = begin_epoch(data_.train,
                                 {data_.shuffle, env_.run.seed, spec_.epochs, spec_.batch_size,
                                  spec_.max_steps, spec_.drop_last},
                                 epoch, *comm_, st_, e.sums, progress_);
  e.order = std::move(start.order);
  e.steps = start.steps;
  e.samples = e.carried_samples = start.carried_samples;
  e.carried_seconds = start.carried_seconds;
  for (int64_t i = start.first; i < e.steps; ++i) {
    batch_step(e, i);
    // Stop requests: every rank agrees at the same boundary (every step
    // alone, every 10th with several ranks), as the Trainer does.
    if (i + 1 == e.steps || (world_ > 1 && (i + 1) % 10 != 0)) continue;
    if (int sig = agreed_stop(*comm_)) {
      stop_mid_epoch(*comm_, ckpt_root_, sig, epoch, i + 1, e.sums, e.samples, e.seconds(), st_,
                     [this](const std::string& name) { write_checkpoint(name); });
    }
  }
  result_.early_stopped = end_epoch(epoch, e);
}

void GanTrainer::diverged(const char* which, double v, const Epoch& e, int64_t i) {
  auto ck = latest_checkpoint(ckpt_root_);
  throw RuntimeError(
      std::string("training diverged: the ") + which + " loss is " + std::to_string(v) +
          " at epoch " + std::to_string(e.epoch + 1) + ", step " + std::to_string(i + 1) +
          (ck ? "; the last good checkpoint is " + *ck : "; no checkpoint was written yet") +
          " (try lower learning rates or grad_clip)",
      kExitDiverged);
}

void GanTrainer::batch_step(Epoch& e, int64_t i) {
  const size_t batch = static_cast<size_t>(spec_.batch_size);
  const size_t b = static_cast<size_t>(i) * batch, end = std::min(e.order.size(), b + batch);
  Laps laps(e.times);
  GanBatch bt;
  bt.ids.assign(e.order.begin() + static_cast<long>(b), e.order.begin() + static_cast<long>(end));
  auto data = data_.train.gather(e.order, b, end);
  bt.x = data.x.to(env_.device, /*non_blocking=*/true);
  bt.y = data.y.to(env_.device, /*non_blocking=*/true);
  bt.yc = scaled_conditions(bt.y, spec_.condition_scale);
  const double n = static_cast<double>(end - b);
  laps.lap(Phase::Data);

  // The generator steps after every critic_steps-th discriminator step.
  const bool generator = (st_.step + 1) % spec_.critic_steps == 0;
  const StepValues v = update_->step(
      bt, e.epoch, generator, [&](const char* which, double l) { diverged(which, l, e, i); }, laps,
      e.times);
  auto& s = e.sums;
  s[DLoss] += v.d_loss * n;
  s[Penalty] += v.d.gp * n;
  s[Aux] += v.d.aux * n;
  s[DReal] += v.d.real * n;
  s[DFake] += v.d.fake * n;
  s[DSamples] += n;
  ++st_.step;
  if (v.generator) {
    s[GLoss] += v.g_loss * n;
    s[GAux] += v.g.aux * n;
    s[Energy] += v.g.energy * n;
    s[GSamples] += n;
    ++st_.counters["generator_steps"];
  }
  e.times.add_steps(1);
  if (result_.first_step_unix == 0) result_.first_step_unix = now_unix();
  const int64_t every = env_.sink.step_interval();
  if (every > 0 && st_.step % every == 0) {
    std::map<std::string, double> m = {{"train_d_loss_step", v.d_loss}, {"lr_d", e.lr_d}};
    if (v.generator) m["train_g_loss_step"] = v.g_loss;
    env_.sink.log({st_.step, e.epoch + 1, now_unix(), true, m});
    laps.lap(Phase::Logging);
  }
  e.samples += static_cast<int64_t>(end - b);
  progress_.step(i + 1, e.samples, v.d_loss);
}

bool GanTrainer::end_epoch(int64_t epoch, Epoch& e) {
  const double secs = e.seconds();
  session_seconds_ += secs;
  session_samples_ += (e.samples - e.carried_samples) * world_;
  st_.train_seconds += secs;
  update_->sync_buffers();
  if (world_ > 1) comm_->allreduce(e.sums.data(), e.sums.size(), comm::DType::F64);
  double all_samples = static_cast<double>(e.samples);
  if (world_ > 1) comm_->allreduce(&all_samples, 1, comm::DType::F64);
  auto raw = e.times.raw();  // phases: the mean over ranks
  if (world_ > 1) comm_->allreduce(raw.data(), raw.size(), comm::DType::F64);
  PhaseTimes mean = PhaseTimes::from_raw(raw.data());
  times_.merge(e.times);

  std::map<std::string, double> m = gan_epoch_metrics(spec_, e.sums);
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
  times_.add(Phase::Logging, std::chrono::duration<double>(Clock::now() - tl).count());
  progress_.end_epoch(summary_line(epoch + 1, spec_.epochs, m));
  EpochEnd end = end_of_epoch(
      *comm_, ckpt_root_, {spec_.checkpoint, spec_.early_stopping, spec_.epochs, env_.until_epoch},
      epoch, m, st_, [this](const std::string& name) { write_checkpoint(name); });
  result_.paused = end.paused;
  return end.early;
}

}  // namespace itwin::train
