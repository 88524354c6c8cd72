#include "itwin/train/trainer.hpp"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <optional>
#include <sstream>

#include "itwin/train/checkpoint.hpp"
#include "itwin/train/objective.hpp"
#include "itwin/train/progress.hpp"
#include "itwin/train/schedule.hpp"
#include "itwin/train/strategy.hpp"
#include "itwin/util/error.hpp"
#include "itwin/util/log.hpp"
#include "itwin/util/signals.hpp"
#include "optimizer.hpp"

namespace itwin::train {
namespace {

double now_unix() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string first_line(const c10::Error& e) {
  std::string m = e.what_without_backtrace();
  return m.substr(0, m.find('\n'));
}

// Runs one tiny batch through the model before training so that shape and
// task mismatches are clear errors, not a LibTorch backtrace mid-epoch.
void preflight(const config::TrainerSpec& spec, models::Model& model, const data::DataSplits& data) {
  bool cls_loss = loss_is_classification(spec.loss);
  if (cls_loss && !data.classification) {
    throw RuntimeError("loss '" + spec.loss + "' needs integer class labels, but the data set has real-valued targets");
  }
  if (!cls_loss && data.classification && spec.loss != "bce_with_logits") {
    throw RuntimeError("loss '" + spec.loss + "' needs real-valued targets, but the data set has class labels (set the "
                       "dataset's task: regression, or use cross_entropy)");
  }
  auto x = data.train.x.slice(0, 0, 2);
  torch::Tensor out;
  model.set_training(false);
  try {
    torch::NoGradGuard ng;
    out = model.forward(x);
  } catch (const c10::Error& e) {
    std::ostringstream shape;
    shape << x.sizes();
    throw RuntimeError("the model (" + model.describe() + ") cannot take the data's input " + shape.str() + ": " + first_line(e));
  }
  int64_t want = data.classification ? data.num_classes : data.num_targets;
  if (out.dim() != 2 || (data.classification ? out.size(1) < want : out.size(1) != want)) {
    std::ostringstream got;
    got << out.sizes();
    throw RuntimeError("the model (" + model.describe() + ") outputs " + got.str() + " per batch of 2, but the data needs " +
                       std::to_string(want) + (data.classification ? " class scores" : " targets") + " per sample");
  }
}

bool improved(double v, double best, const std::string& mode, double min_delta) {
  return mode == "min" ? v < best - min_delta : v > best + min_delta;
}

// `val_x` without a validation split falls back to `train_x`.
double monitored(const std::map<std::string, double>& m, std::string name) {
  auto it = m.find(name);
  if (it == m.end() && name.rfind("val_", 0) == 0) it = m.find("train_" + name.substr(4));
  return it == m.end() ? std::nan("") : it->second;
}

std::string summary_line(int64_t epoch, int64_t epochs, const std::map<std::string, double>& m) {
  std::ostringstream s;
  s << "epoch " << epoch << "/" << epochs;
  for (const auto& [k, v] : m) {
    if (k == "epoch_time_s" || k == "samples_per_s") continue;
    char buf[64];
    std::snprintf(buf, sizeof buf, " %s %.4g", k.c_str(), v);
    s << buf;
  }
  char tail[64];
  std::snprintf(tail, sizeof tail, " (%.1fs, %.0f samples/s)", m.at("epoch_time_s"), m.at("samples_per_s"));
  return s.str() + tail;
}

void reduce_sums(MetricSums& sums, comm::Backend* comm) {
  if (comm && comm->world() > 1) comm->allreduce(sums.sums().data(), sums.sums().size(), comm::DType::F64);
}

}  // namespace

std::map<std::string, double> evaluate(const config::TrainerSpec& spec, models::Model& model, const data::TensorData& d,
                                       const std::string& prefix, comm::Backend* comm) {
  torch::NoGradGuard ng;
  model.set_training(false);
  MetricSums sums(spec.metrics);
  std::vector<int64_t> order;  // this rank's samples: r, r + world, ... (no padding: exact sums)
  const int rank = comm ? comm->rank() : 0, world = comm ? comm->world() : 1;
  for (int64_t i = rank; i < d.size(); i += world) order.push_back(i);
  for (size_t b = 0; b < order.size(); b += static_cast<size_t>(spec.eval_batch_size)) {
    size_t e = std::min(order.size(), b + static_cast<size_t>(spec.eval_batch_size));
    auto batch = data::gather(d, order, b, e);
    auto out = model.forward(batch.x);
    sums.add(compute_loss(spec, out, batch.y).item<double>(), out, batch.y);
  }
  reduce_sums(sums, comm);
  return sums.finalize(prefix);
}

TrainResult train_model(const config::TrainerSpec& spec, models::Model& model, const data::DataSplits& data,
                        const TrainerEnv& env) {
  preflight(spec, model, data);
  std::unique_ptr<comm::Backend> own_comm;
  comm::Backend* comm = env.comm;
  if (!comm) {
    own_comm = comm::make_backend("local", {});
    comm = own_comm.get();
  }
  const int rank = comm->rank(), world = comm->world();
  const bool lead = rank == 0;  // rank 0 writes checkpoints and run-level files
  const std::string ckpt_root = env.run_dir + "/checkpoints";
  TrainResult result;
  TrainState st;
  // Training draws dropout masks from the global generator: seed it here so
  // a run never depends on what ran before it (a resume restores it instead).
  torch::manual_seed(env.run.seed + 1);
  std::optional<std::string> resume_from = env.resume ? latest_checkpoint(ckpt_root) : std::nullopt;
  if (resume_from) models::load_state_dict(model, *resume_from + "/model.pt");
  auto strategy = make_strategy(env.dist, *comm);
  strategy->setup(model);  // every rank starts from rank 0's weights
  auto opt = make_optimizer(spec.optimizer, strategy->optimizer_params(model));
  auto model_params = model.parameters();
  if (resume_from) {
    const bool replicated = strategy->replicated_optimizer();
    st = load_checkpoint(*resume_from, nullptr, replicated ? opt.get() : nullptr);
    if (!replicated) load_optimizer_shard(*resume_from, *opt, rank, world);
    result.resumed = true;
    spdlog::info("resuming from {} ({} epochs done, step {})", *resume_from, st.epochs_done, st.step);
  }
  // Every rank calls this at the same point. Rank 0 writes the checkpoint;
  // with a sharded optimizer (zero1) each rank first puts its shard there.
  auto write_checkpoint = [&](const std::string& name) {
    std::vector<std::string> shards;
    if (!strategy->replicated_optimizer()) {
      save_optimizer_shard(ckpt_root, name, *opt, rank);
      comm->barrier();  // every shard is complete before rank 0 takes them
      for (int r = 0; r < world; ++r) shards.push_back(shard_file(ckpt_root, name, r));
    }
    if (lead) save_checkpoint(ckpt_root, name, model, *opt, st, env.config_yaml, shards);
  };
  auto zero_grads = [&] {
    opt->zero_grad();
    for (auto& p : model_params)
      if (p.grad().defined()) p.mutable_grad().zero_();
  };

  Progress progress(env.print, spec.log_every);
  const int64_t step_every = env.sink.step_interval();  // 0: no logger wants step points
  const int64_t n = data.train.size();
  const auto batch = static_cast<size_t>(spec.batch_size);
  double session_seconds = 0;
  int64_t session_samples = 0;
  std::map<std::string, double> last;
  if (!st.history.empty()) last = st.history.back();

  for (int64_t epoch = st.epochs_done; epoch < spec.epochs; ++epoch) {
    const double lr = lr_at(spec.scheduler, spec.optimizer.lr, epoch, spec.epochs);
    set_lr(*opt, lr);
    model.set_training(true);
    // This rank's share of the epoch (DistributedSampler semantics).
    auto order = data::epoch_indices(n, data.shuffle, env.run.seed, static_cast<uint64_t>(epoch), rank, world, spec.drop_last);
    int64_t steps = static_cast<int64_t>((order.size() + batch - 1) / batch);
    if (spec.max_steps > 0) steps = std::min(steps, spec.max_steps);
    progress.begin_epoch(epoch + 1, spec.epochs, steps);
    MetricSums sums(spec.metrics);
    auto t0 = std::chrono::steady_clock::now();
    int64_t samples = 0, carried_samples = 0;
    double carried_seconds = 0;
    int64_t first = 0;
    if (st.epoch_step > 0) {  // a mid-epoch checkpoint: continue where it stopped
      first = st.epoch_step;
      if (lead && st.epoch_sums.size() == sums.sums().size()) sums.sums() = st.epoch_sums;
      if (lead) samples = carried_samples = st.epoch_samples;
      carried_seconds = st.epoch_seconds;
      st.epoch_step = 0;
    }
    zero_grads();
    for (int64_t i = first; i < steps; ++i) {
      size_t b = static_cast<size_t>(i) * batch, e = std::min(order.size(), b + batch);
      auto bt = data::gather(data.train, order, b, e);
      auto out = model.forward(bt.x);
      auto loss = compute_loss(spec, out, bt.y);
      double lv = loss.item<double>();
      if (!std::isfinite(lv)) {
        auto ck = latest_checkpoint(ckpt_root);
        throw RuntimeError("training diverged: the loss is " + std::to_string(lv) + " at epoch " +
                               std::to_string(epoch + 1) + ", step " + std::to_string(i + 1) +
                               (ck ? "; the last good checkpoint is " + *ck : "; no checkpoint was written yet") +
                               " (try a lower learning rate or grad_clip)",
                           kExitDiverged);
      }
      const bool sync = (i + 1) % spec.grad_accum == 0 || i + 1 == steps;
      strategy->before_backward(sync);
      if (spec.grad_accum > 1) {
        // Each micro-batch weighs by its share of the samples in its group,
        // so a group equals one big batch (the last group may be short).
        int64_t g0 = (i / spec.grad_accum) * spec.grad_accum, g1 = std::min(steps, g0 + spec.grad_accum);
        size_t group = std::min(order.size(), static_cast<size_t>(g1) * batch) - static_cast<size_t>(g0) * batch;
        (loss * (static_cast<double>(e - b) / static_cast<double>(group))).backward();
      } else {
        loss.backward();
      }
      if (sync) {
        strategy->reduce_gradients();
        strategy->step(*opt, spec.grad_clip);
        zero_grads();
        ++st.step;
        if (result.first_step_unix == 0) result.first_step_unix = now_unix();
        if (step_every > 0 && st.step % step_every == 0) {
          env.sink.log({st.step, epoch + 1, now_unix(), true, {{"train_loss_step", lv}, {"lr", lr}}});
        }
      }
      sums.add(lv, out.detach(), bt.y);
      samples += static_cast<int64_t>(e - b);
      progress.step(i + 1, samples, lv);
      // A stop request (time limit near, preemption): every rank agrees at
      // the same step boundary, then a mid-epoch checkpoint and exit 75.
      if (sync && i + 1 < steps && (world == 1 || (i + 1) % 10 == 0)) {
        int64_t stop = stop_requested();
        if (world > 1) comm->allreduce(&stop, 1, comm::DType::I64, comm::ReduceOp::Max);
        if (stop) {
          reduce_sums(sums, comm);
          double done_samples = static_cast<double>(samples);
          if (world > 1) comm->allreduce(&done_samples, 1, comm::DType::F64);
          st.epoch_step = i + 1;
          st.epoch_sums = sums.sums();
          st.epoch_samples = static_cast<int64_t>(done_samples);
          st.epoch_seconds = carried_seconds + std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
          char name[64];
          std::snprintf(name, sizeof name, "epoch-%04lld-step-%06lld", static_cast<long long>(epoch + 1),
                        static_cast<long long>(i + 1));
          write_checkpoint(name);
          if (world > 1) comm->barrier();
          throw CollectiveError("stopped by signal " + std::to_string(stop) + " at epoch " + std::to_string(epoch + 1) +
                                 ", step " + std::to_string(i + 1) + "; checkpoint " + ckpt_root + "/" + name +
                                    " written; run again with --resume (or run.resume: auto) to continue",
                                kExitPreempted);
        }
      }
    }
    double secs = carried_seconds + std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    session_seconds += secs;
    session_samples += (samples - carried_samples) * world;
    st.train_seconds += secs;

    strategy->sync_buffers(model);
    reduce_sums(sums, comm);
    double all_samples = static_cast<double>(samples);
    if (world > 1) comm->allreduce(&all_samples, 1, comm::DType::F64, comm::ReduceOp::Sum);
    std::map<std::string, double> m = sums.finalize("train_");
    if (data.val.size() > 0) {
      for (const auto& kv : evaluate(spec, model, data.val, "val_", comm)) m.insert(kv);
    }
    if (spec.test_every > 0 && (epoch + 1) % spec.test_every == 0 && data.test.size() > 0) {
      for (const auto& kv : evaluate(spec, model, data.test, "test_", comm)) m.insert(kv);
    }
    m["lr"] = lr;
    m["epoch_time_s"] = secs;
    m["samples_per_s"] = secs > 0 ? all_samples / secs : 0;  // all ranks together
    st.epochs_done = epoch + 1;
    st.history.push_back(m);
    last = m;
    env.sink.log({st.step, epoch + 1, now_unix(), false, m});  // this rank's loggers (rank 0's by default)
    progress.end_epoch(summary_line(epoch + 1, spec.epochs, m));

    // Best and periodic checkpoints, then early stopping.
    const auto& ck = spec.checkpoint;
    double v = monitored(m, ck.best_metric);
    bool is_best = std::isfinite(v) && (!st.has_best || improved(v, st.best, ck.best_mode, 0.0));
    if (is_best) {
      st.best = v;
      st.has_best = true;
    }
    const auto& es = spec.early_stopping;
    bool stop = false;
    if (es.patience > 0) {
      double ev = monitored(m, es.metric);
      if (!st.es_has_best || improved(ev, st.es_best, es.mode, es.min_delta)) {
        st.es_best = ev;
        st.es_has_best = true;
        st.bad_epochs = 0;
      } else if (++st.bad_epochs >= es.patience) {
        stop = true;
      }
    }
    bool last_epoch = epoch + 1 == spec.epochs || stop;
    if (is_best) write_checkpoint("best");
    if ((ck.every > 0 && (epoch + 1) % ck.every == 0) || last_epoch) {
      char name[32];
      std::snprintf(name, sizeof name, "epoch-%04lld", static_cast<long long>(epoch + 1));
      write_checkpoint(name);
      if (lead) prune_checkpoints(ckpt_root, ck.keep);
    }
    if (stop) {
      spdlog::info("early stopping after epoch {}: {} did not improve for {} epochs", epoch + 1, es.metric, es.patience);
      result.early_stopped = true;
      break;
    }
  }

  result.final_metrics = last;
  if (spec.test && data.test.size() > 0) {
    for (const auto& kv : evaluate(spec, model, data.test, "test_", comm)) result.final_metrics[kv.first] = kv.second;
  }
  result.epochs_done = st.epochs_done;
  result.steps = st.step;
  result.train_seconds = st.train_seconds;
  result.samples_per_s = session_seconds > 0 ? static_cast<double>(session_samples) / session_seconds : 0;
  return result;
}

}  // namespace itwin::train
