#include "itwin/train/trainer.hpp"

#include <signal.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <sstream>

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

std::string first_line(const c10::Error& e) {
  std::string m = e.what_without_backtrace();
  return m.substr(0, m.find('\n'));
}

void reduce_sums(MetricSums& sums, comm::Backend* comm) {
  if (comm && comm->world() > 1)
    comm->allreduce(sums.sums().data(), sums.sums().size(), comm::DType::F64);
}

}  // namespace

void preflight(const config::TrainerSpec& spec, models::Model& model, const data::DataSplits& data,
               const torch::Device& device) {
  const char* loss = config::loss_catalog().name(spec.loss);
  if (config::loss_wants_class_labels(spec.loss) && !data.classification) {
    throw RuntimeError(std::string("loss '") + loss +
                       "' needs integer class labels, but the data set has real-valued targets");
  }
  if (config::loss_is_regression(spec.loss) && data.classification) {
    throw RuntimeError(
        std::string("loss '") + loss +
        "' needs real-valued targets, but the data set has class labels (set the dataset's task: "
        "regression, or use cross_entropy)");
  }
  if (spec.loss == config::LossKind::BceWithLogits && data.classification && data.num_classes > 2) {
    throw RuntimeError(
        "loss 'bce_with_logits' needs one target in [0, 1] per output, but the data set has " +
        std::to_string(data.num_classes) + " classes (use cross_entropy)");
  }
  for (const auto& m : spec.metrics) {
    if (m.kind == config::MetricKind::TopK && data.classification && m.k > data.num_classes) {
      throw RuntimeError("metric '" + m.name() + "' needs at least " + std::to_string(m.k) +
                         " classes, but the data set has " + std::to_string(data.num_classes));
    }
  }
  auto x = data.train.head(2).x.to(device);
  torch::Tensor out;
  model.set_training(false);
  try {
    torch::NoGradGuard ng;
    out = model.forward(x);
  } catch (const c10::Error& e) {
    std::ostringstream shape;
    shape << x.sizes();
    throw RuntimeError("the model (" + model.describe() + ") cannot take the data's input " +
                       shape.str() + ": " + first_line(e));
  }
  int64_t want = data.classification ? data.num_classes : data.num_targets;
  if (spec.loss == config::LossKind::BceWithLogits && data.classification) want = 1;
  if (out.dim() != 2 ||
      (data.classification && want > 1 ? out.size(1) < want : out.size(1) != want)) {
    std::ostringstream got;
    got << out.sizes();
    throw RuntimeError("the model (" + model.describe() + ") outputs " + got.str() +
                       " per batch of 2, but the data needs " + std::to_string(want) +
                       (data.classification && want > 1 ? " class scores" : " targets") +
                       " per sample");
  }
}

std::map<std::string, double> evaluate(const config::TrainerSpec& spec, models::Model& model,
                                       const data::Split& d, const std::string& prefix,
                                       comm::Backend* comm, const torch::Device& device) {
  torch::NoGradGuard ng;
  model.set_training(false);
  MetricSums sums(spec.metrics);
  const int rank = comm ? comm->rank() : 0, world = comm ? comm->world() : 1;
  std::vector<int64_t> order =
      d.samples().eval_order(rank, world);  // every sample once over all ranks: exact sums
  d.samples().begin_pass(order, 0, static_cast<size_t>(spec.eval_batch_size));
  for (size_t b = 0; b < order.size(); b += static_cast<size_t>(spec.eval_batch_size)) {
    size_t e = std::min(order.size(), b + static_cast<size_t>(spec.eval_batch_size));
    auto batch = d.gather(order, b, e);
    auto x = batch.x.to(device, /*non_blocking=*/true),
         y = batch.y.to(device, /*non_blocking=*/true);
    torch::Tensor out, loss;
    {
      Autocast amp(spec.precision, device);
      out = model.forward(x);
      loss = compute_loss(spec, out, y);
    }
    sums.add(loss.item<double>(), out.to(torch::kFloat32), y);
  }
  reduce_sums(sums, comm);
  return sums.finalize(prefix);
}

struct Trainer::EpochRun {
  int64_t epoch = 0;
  double lr = 0;
  std::vector<int64_t> order;
  int64_t steps = 0;
  MetricSums sums;
  Clock::time_point t0 = Clock::now();
  int64_t samples = 0, carried_samples = 0;
  double carried_seconds = 0;
  PhaseTimes times;  ///< this epoch's phases on this rank
  double seconds() const { return carried_seconds + since(t0); }
};

Trainer::Trainer(const config::TrainerSpec& spec, models::Model& model,
                 const data::DataSplits& data, const TrainerEnv& env)
    : spec_(spec),
      model_(model),
      data_(data),
      env_(env),
      comm_(env.comm),
      ckpt_root_(env.run_dir + "/checkpoints"),
      progress_(env.print, spec.log_every),
      scaler_(spec.precision == config::Precision::Fp16) {
  check_precision(spec.precision, env.device);
  if (!comm_) {
    own_comm_ = comm::make_backend(config::BackendKind::Local, {});
    comm_ = own_comm_.get();
  }
  rank_ = comm_->rank();
  world_ = comm_->world();
  lead_ = rank_ == 0;  // rank 0 writes checkpoints and run-level files
}

Trainer::~Trainer() = default;

// Weights first (rank 0's are broadcast by the strategy), then the optimizer
// over the strategy's parameters, then its state and the loop state.
void Trainer::resume() {
  std::optional<std::string> from;
  if (env_.resume) from = resume_point(*comm_, ckpt_root_, &resume_step_);
  // Points logged after the checkpoint (by the attempt that was stopped or
  // killed) are dropped: they will be logged again.
  if (env_.resume) env_.sink.rewind(from ? resume_step_ : 0);
  if (from) models::load_state_dict(model_, *from + "/model.pt");
  strategy_ = make_strategy(env_.dist, *comm_);
  strategy_->setup(model_);  // every rank starts from rank 0's weights
  opt_ = make_optimizer(spec_.optimizer, strategy_->optimizer_params(model_));
  params_ = model_.parameters();
  if (!from) return;
  const bool replicated = strategy_->replicated_optimizer();
  st_ = load_checkpoint(*from, nullptr, replicated ? opt_.get() : nullptr);
  if (!replicated) load_optimizer_shard(*from, *opt_, rank_, world_);
  result_.resumed = true;
  scaler_.load(st_);
  if (!st_.history.empty()) last_ = st_.history.back();
  spdlog::info("resuming from {} ({} epochs done, step {})", *from, st_.epochs_done, st_.step);
}

// Every rank calls this at the same point. Rank 0 writes the checkpoint;
// with a sharded optimizer (zero1) each rank first puts its shard there.
void Trainer::write_checkpoint(const std::string& name) {
  auto t0 = Clock::now();
  scaler_.save(st_);
  std::vector<std::string> shards;
  if (!strategy_->replicated_optimizer()) {
    save_optimizer_shard(ckpt_root_, name, *opt_, rank_);
    comm_->barrier();  // every shard is complete before rank 0 takes them
    for (int r = 0; r < world_; ++r) shards.push_back(shard_file(ckpt_root_, name, r));
  }
  if (lead_) save_checkpoint(ckpt_root_, name, model_, *opt_, st_, env_.config_yaml, shards);
  times_.add(Phase::Checkpoint, since(t0));
}

void Trainer::zero_grads() {
  opt_->zero_grad();
  // The model's parameters too where the optimizer holds other tensors
  // (zero1's shard); else zero_grad did them (a second pass over every
  // gradient, 40 MB per step on the 9.9M MLP).
  if (strategy_->replicated_optimizer()) return;
  for (auto& p : params_)
    if (p.grad().defined()) p.mutable_grad().zero_();
}

void Trainer::adapt_threads(const CpuSnapshot& since) {
  if (env_.adaptive_threads <= 1) return;
  const double busy = cores_busy_elsewhere(since, cpu_snapshot());
  const int64_t want = std::clamp<int64_t>(
      std::llround(static_cast<double>(env_.adaptive_threads) - busy), 1, env_.adaptive_threads);
  if (want == torch::get_num_threads()) return;
  spdlog::info("other processes keep {:.1f} of {} cores busy: {} intra-op threads", busy,
               env_.adaptive_threads, want);
  torch::set_num_threads(static_cast<int>(want));
}

void Trainer::train_step(EpochRun& e, int64_t i) {
  const size_t batch = static_cast<size_t>(spec_.batch_size);
  const size_t b = static_cast<size_t>(i) * batch, end = std::min(e.order.size(), b + batch);
  Laps laps(e.times);
  auto bt = data_.train.gather(e.order, b, end);
  bt.x = bt.x.to(env_.device, /*non_blocking=*/true);
  bt.y = bt.y.to(env_.device, /*non_blocking=*/true);
  laps.lap(Phase::Data);
  torch::Tensor out, loss;
  {
    Autocast amp(spec_.precision, env_.device);
    out = model_.forward(bt.x);
    loss = compute_loss(spec_, out, bt.y);
  }
  double lv = loss.item<double>();
  laps.lap(Phase::Forward);
  if (!std::isfinite(lv)) {
    auto ck = latest_checkpoint(ckpt_root_);
    throw RuntimeError(
        "training diverged: the loss is " + std::to_string(lv) + " at epoch " +
            std::to_string(e.epoch + 1) + ", step " + std::to_string(i + 1) +
            (ck ? "; the last good checkpoint is " + *ck : "; no checkpoint was written yet") +
            " (try a lower learning rate or grad_clip)",
        kExitDiverged);
  }
  const bool sync = (i + 1) % spec_.grad_accum == 0 || i + 1 == e.steps;
  strategy_->before_backward(sync);
  if (spec_.grad_accum > 1) {
    // Each micro-batch weighs by its share of the samples in its group, so a
    // group equals one big batch (the last group may be short).
    int64_t g0 = (i / spec_.grad_accum) * spec_.grad_accum,
            g1 = std::min(e.steps, g0 + spec_.grad_accum);
    size_t group =
        std::min(e.order.size(), static_cast<size_t>(g1) * batch) - static_cast<size_t>(g0) * batch;
    scaler_.scale(loss * (static_cast<double>(end - b) / static_cast<double>(group))).backward();
  } else {
    scaler_.scale(loss).backward();
  }
  laps.lap(Phase::Backward);
  if (sync && spec_.grad_clip <= 0 && !scaler_.enabled() && strategy_->steps_per_bucket()) {
    // Each bucket's update runs while later buckets are still in flight.
    const double waited = strategy_->reduce_and_step(*opt_);
    e.times.add(Phase::CommExposed, waited);
    zero_grads();
    laps.lap(Phase::Optimizer, waited);
  } else if (sync) {
    strategy_->reduce_gradients();
    laps.lap(Phase::CommExposed);
    // fp16: a step whose gradients overflowed is skipped on every rank, and the loss scale backs
    // off.
    const bool finite = unscale_agreed(scaler_, strategy_->optimizer_params(model_), *comm_);
    if (finite) strategy_->step(*opt_, spec_.grad_clip);
    scaler_.update(finite);
    zero_grads();
    laps.lap(Phase::Optimizer);
  }
  if (sync) {
    e.times.add(Phase::Comm, strategy_->take_comm_seconds());
    e.times.add_steps(1);
    ++st_.step;
    if (result_.first_step_unix == 0) result_.first_step_unix = now_unix();
    const int64_t every = env_.sink.step_interval();  // 0: no logger wants step points
    if (every > 0 && st_.step % every == 0) {
      env_.sink.log(
          {st_.step, e.epoch + 1, now_unix(), true, {{"train_loss_step", lv}, {"lr", e.lr}}});
      laps.lap(Phase::Logging);
    }
  }
  e.sums.add(lv, out.detach().to(torch::kFloat32), bt.y);
  e.samples += static_cast<int64_t>(end - b);
  progress_.step(i + 1, e.samples, lv);
}

void Trainer::run_epoch(int64_t epoch) {
  const CpuSnapshot cpu = cpu_snapshot();
  EpochRun e{epoch,
             lr_at(spec_.scheduler, spec_.optimizer.lr, epoch, spec_.epochs),
             {},
             0,
             MetricSums(spec_.metrics),
             Clock::now(),
             0,
             0,
             0,
             {}};
  set_lr(*opt_, e.lr);
  model_.set_training(true);
  EpochStart start = begin_epoch(data_.train,
                                 {data_.shuffle, env_.run.seed, spec_.epochs, spec_.batch_size,
                                  spec_.max_steps, spec_.drop_last},
                                 epoch, *comm_, st_, e.sums.sums(), progress_);
  e.order = std::move(start.order);
  e.steps = start.steps;
  e.samples = e.carried_samples = start.carried_samples;
  e.carried_seconds = start.carried_seconds;
  zero_grads();
  for (int64_t i = start.first; i < e.steps; ++i) {
    train_step(e, i);
    // Stop requests: every rank agrees at the same optimizer-step boundary
    // (every step alone, every 10th and the last with several ranks).
    const bool boundary = (i + 1) % spec_.grad_accum == 0 || i + 1 == e.steps;
    if (!boundary || i + 1 == e.steps || (world_ > 1 && (i + 1) % 10 != 0)) continue;
    if (int sig = agreed_stop(*comm_)) {
      stop_mid_epoch(*comm_, ckpt_root_, sig, epoch, i + 1, e.sums.sums(), e.samples, e.seconds(),
                     st_, [this](const std::string& name) { write_checkpoint(name); });
    }
  }
  const bool early = end_epoch(epoch, e);
  result_.early_stopped = early;
  adapt_threads(cpu);  // for the next epoch, from what this one saw
}

bool Trainer::end_epoch(int64_t epoch, EpochRun& e) {
  const double secs = e.seconds();
  session_seconds_ += secs;
  session_samples_ += (e.samples - e.carried_samples) * world_;
  st_.train_seconds += secs;
  strategy_->sync_buffers(model_);
  reduce_sums(e.sums, comm_);
  double all_samples = static_cast<double>(e.samples);
  if (world_ > 1) comm_->allreduce(&all_samples, 1, comm::DType::F64, comm::ReduceOp::Sum);
  auto raw = e.times.raw();  // phases: the mean over ranks
  if (world_ > 1) comm_->allreduce(raw.data(), raw.size(), comm::DType::F64);
  PhaseTimes mean = PhaseTimes::from_raw(raw.data());
  times_.merge(e.times);
  std::map<std::string, double> m = e.sums.finalize("train_");
  if (data_.val.size() > 0) {
    for (const auto& kv : evaluate(spec_, model_, data_.val, "val_", comm_, env_.device))
      m.insert(kv);
  }
  if (spec_.test_every > 0 && (epoch + 1) % spec_.test_every == 0 && data_.test.size() > 0) {
    for (const auto& kv : evaluate(spec_, model_, data_.test, "test_", comm_, env_.device))
      m.insert(kv);
  }
  m["lr"] = e.lr;
  m["epoch_time_s"] = secs;
  m["samples_per_s"] = secs > 0 ? all_samples / secs : 0;  // all ranks together
  for (const auto& [phase, ms] : mean.ms_per_step()) {  // per optimizer step, the mean over ranks
    if (phase != "checkpoint" && phase != "logging") m["time_" + phase + "_ms"] = ms;
  }
  st_.epochs_done = epoch + 1;
  st_.history.push_back(m);
  last_ = m;
  auto tl = Clock::now();
  env_.sink.log(
      {st_.step, epoch + 1, now_unix(), false, m});  // this rank's loggers (rank 0's by default)
  times_.add(Phase::Logging, since(tl));
  progress_.end_epoch(summary_line(epoch + 1, spec_.epochs, m));

  // Best and periodic checkpoints, then early stopping and stop requests.
  EpochEnd end = end_of_epoch(
      *comm_, ckpt_root_, {spec_.checkpoint, spec_.early_stopping, spec_.epochs, env_.until_epoch},
      epoch, m, st_, [this](const std::string& name) { write_checkpoint(name); });
  result_.paused = end.paused;
  return end.early;
}

TrainResult Trainer::run() {
  preflight(spec_, model_, data_, env_.device);
  // Training draws dropout masks from the global generator: seed it here so
  // a run never depends on what ran before it (a resume restores it instead).
  torch::manual_seed(env_.run.seed + 1);
  resume();
  adapt_threads(env_.cpu_at_start);  // what happened while the data loaded
  if (int sig = agreed_stop(*comm_)) {
    stopped(sig, "before the first step", ckpt_root_, "");
  }
  for (int64_t epoch = st_.epochs_done; epoch < spec_.epochs; ++epoch) {
    run_epoch(epoch);
    if (result_.early_stopped || result_.paused) break;
  }
  result_.final_metrics = last_;
  if (spec_.test && data_.test.size() > 0 && !result_.paused) {
    if (int sig = agreed_stop(*comm_))
      stopped(sig, "before the test evaluation", ckpt_root_, checkpoint_name(st_.epochs_done));
    for (const auto& kv : evaluate(spec_, model_, data_.test, "test_", comm_, env_.device)) {
      result_.final_metrics[kv.first] = kv.second;
    }
  }
  result_.epochs_done = st_.epochs_done;
  result_.steps = st_.step;
  result_.train_seconds = st_.train_seconds;
  result_.samples_per_s =
      session_seconds_ > 0 ? static_cast<double>(session_samples_) / session_seconds_ : 0;
  result_.profile = times_;
  result_.rank_profiles = gather_profiles(*comm_, times_);
  return result_;
}

TrainResult train_model(const config::TrainerSpec& spec, models::Model& model,
                        const data::DataSplits& data, const TrainerEnv& env) {
  return Trainer(spec, model, data, env).run();
}

}  // namespace itwin::train
