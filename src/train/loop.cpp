// The pieces every training loop shares: checkpoint names, monitored values,
// stop requests, the resume point, the start of an epoch and a stop inside
// it, the fp16 overflow agreement and the end of an epoch.
#include "loop.hpp"

#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <sstream>

#include "itwin/util/error.hpp"
#include "itwin/util/log.hpp"
#include "itwin/util/signals.hpp"

namespace itwin::train {

double now_unix() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string checkpoint_name(int64_t epoch, int64_t step) {
  char name[64];
  if (step > 0) {
    std::snprintf(name, sizeof name, "epoch-%04lld-step-%06lld", static_cast<long long>(epoch),
                  static_cast<long long>(step));
  } else {
    std::snprintf(name, sizeof name, "epoch-%04lld", static_cast<long long>(epoch));
  }
  return name;
}

bool improved(double v, double best, config::Mode mode, double min_delta) {
  switch (mode) {
    case config::Mode::Min:
      return v < best - min_delta;
    case config::Mode::Max:
      return v > best + min_delta;
  }
  return false;
}

double monitored(const std::map<std::string, double>& m, const std::string& name) {
  auto it = m.find(name);
  if (it == m.end() && name.rfind("val_", 0) == 0) it = m.find("train_" + name.substr(4));
  return it == m.end() ? std::nan("") : it->second;
}

std::string summary_line(int64_t epoch, int64_t epochs, const std::map<std::string, double>& m) {
  std::ostringstream s;
  s << "epoch " << epoch << "/" << epochs;
  for (const auto& [k, v] : m) {
    if (k == "epoch_time_s" || k == "samples_per_s" || k.rfind("time_", 0) == 0) continue;
    char buf[64];
    std::snprintf(buf, sizeof buf, " %s %.4g", k.c_str(), v);
    s << buf;
  }
  char tail[64];
  std::snprintf(tail, sizeof tail, " (%.1fs, %.0f samples/s)", m.at("epoch_time_s"),
                m.at("samples_per_s"));
  return s.str() + tail;
}

int agreed_stop(comm::Backend& comm) {
  int64_t sig = stop_requested();
  if (comm.world() > 1) comm.allreduce(&sig, 1, comm::DType::I64, comm::ReduceOp::Max);
  return static_cast<int>(sig);
}

void stopped(int sig, const std::string& where, const std::string& ckpt_root,
             const std::string& checkpoint) {
  std::string what = checkpoint.empty()
                         ? "; nothing new to checkpoint"
                         : "; checkpoint " + ckpt_root + "/" + checkpoint + " written";
  throw CollectiveError("stopped by signal " + std::to_string(sig) + " (" + strsignal(sig) + ") " +
                            where + what +
                            "; run again with --resume (or run.resume: auto) to continue",
                        sig == SIGINT ? kExitInterrupted : kExitPreempted);
}

std::optional<std::string> resume_point(comm::Backend& comm, const std::string& ckpt_root,
                                        int64_t* step) {
  const bool lead = comm.rank() == 0;
  if (lead) recover_checkpoints(ckpt_root);
  if (comm.world() > 1)
    comm.barrier();  // the others read the checkpoints after rank 0 put them in order
  CheckpointScan scan = scan_checkpoints(ckpt_root);
  std::string bad;
  for (const auto& [dir, why] : scan.unreadable) bad += "\n  " + dir + ": " + why;
  if (!scan.latest && !scan.unreadable.empty()) {
    throw RuntimeError("cannot resume: no checkpoint in " + ckpt_root + " can be read:" + bad +
                       "\n(move them away to train from the beginning)");
  }
  if (!scan.latest) {
    if (lead)
      spdlog::warn("--resume: no checkpoint in {} yet; training starts from the beginning",
                   ckpt_root);
    return std::nullopt;
  }
  if (!bad.empty() && lead)
    spdlog::warn("resuming from {}; these checkpoints cannot be read:{}", *scan.latest, bad);
  *step = scan.latest_step;
  return scan.latest;
}

EpochStart begin_epoch(const data::Split& train, const EpochShape& shape, int64_t epoch,
                       const comm::Backend& comm, TrainState& st, std::vector<double>& sums,
                       Progress& progress) {
  EpochStart e;
  e.order = train.samples().epoch_order(shape.shuffle, shape.seed, static_cast<uint64_t>(epoch),
                                        comm.rank(), comm.world(), shape.drop_last);
  const auto batch = static_cast<size_t>(shape.batch);
  e.steps = static_cast<int64_t>((e.order.size() + batch - 1) / batch);
  if (shape.max_steps > 0) e.steps = std::min(e.steps, shape.max_steps);
  progress.begin_epoch(epoch + 1, shape.epochs, e.steps);
  if (st.epoch_step > 0) {  // a mid-epoch checkpoint: continue where it stopped
    e.first = st.epoch_step;
    const bool lead = comm.rank() == 0;  // rank 0 holds the sums over all ranks
    if (lead && st.epoch_sums.size() == sums.size()) sums = st.epoch_sums;
    if (lead) e.carried_samples = st.epoch_samples;
    e.carried_seconds = st.epoch_seconds;
    st.epoch_step = 0;
  }
  train.samples().begin_pass(e.order, static_cast<size_t>(e.first) * batch, batch);
  return e;
}

void stop_mid_epoch(comm::Backend& comm, const std::string& ckpt_root, int sig, int64_t epoch,
                    int64_t steps, std::vector<double>& sums, int64_t samples, double seconds,
                    TrainState& st, const std::function<void(const std::string&)>& write) {
  const bool many = comm.world() > 1;
  if (many) comm.allreduce(sums.data(), sums.size(), comm::DType::F64);
  double done = static_cast<double>(samples);
  if (many) comm.allreduce(&done, 1, comm::DType::F64);
  st.epoch_step = steps;
  st.epoch_sums = sums;
  st.epoch_samples = static_cast<int64_t>(done);
  st.epoch_seconds = seconds;
  const std::string name = checkpoint_name(epoch + 1, steps);
  write(name);
  if (many) comm.barrier();
  stopped(sig, "at epoch " + std::to_string(epoch + 1) + ", step " + std::to_string(steps),
          ckpt_root, name);
}

bool unscale_agreed(const LossScaler& scaler, const std::vector<torch::Tensor>& params,
                    comm::Backend& comm) {
  if (!scaler.enabled()) return true;
  int32_t bad = scaler.unscale(params) ? 0 : 1;
  if (comm.world() > 1) comm.allreduce(&bad, 1, comm::DType::I32, comm::ReduceOp::Max);
  return bad == 0;
}

EpochEnd end_of_epoch(comm::Backend& comm, const std::string& ckpt_root, const EpochPolicy& policy,
                      int64_t epoch, const std::map<std::string, double>& m, TrainState& st,
                      const std::function<void(const std::string&)>& write) {
  const auto& ck = policy.checkpoint;
  double v = monitored(m, ck.best_metric);
  bool is_best = std::isfinite(v) && (!st.has_best || improved(v, st.best, ck.best_mode, 0.0));
  if (is_best) {
    st.best = v;
    st.has_best = true;
  }
  const auto& es = policy.early_stopping;
  EpochEnd end;
  if (es.patience > 0) {
    double ev = monitored(m, es.metric);
    if (!st.es_has_best || improved(ev, st.es_best, es.mode, es.min_delta)) {
      st.es_best = ev;
      st.es_has_best = true;
      st.bad_epochs = 0;
    } else if (++st.bad_epochs >= es.patience) {
      end.early = true;
    }
  }
  const int sig = agreed_stop(comm);
  end.paused =
      policy.until_epoch > 0 && epoch + 1 == policy.until_epoch && epoch + 1 < policy.epochs;
  const bool last = epoch + 1 == policy.epochs || end.early || end.paused || sig != 0;
  if (is_best) write("best");
  const std::string name = checkpoint_name(epoch + 1);
  if ((ck.every > 0 && (epoch + 1) % ck.every == 0) || last) {
    write(name);
    if (comm.rank() == 0) prune_checkpoints(ckpt_root, ck.keep);
  }
  if (sig) stopped(sig, "at the end of epoch " + std::to_string(epoch + 1), ckpt_root, name);
  if (end.early) {
    spdlog::info("early stopping after epoch {}: {} did not improve for {} epochs", epoch + 1,
                 es.metric, es.patience);
  }
  return end;
}

std::vector<PhaseTimes> gather_profiles(comm::Backend& comm, const PhaseTimes& mine) {
  auto raw = mine.raw();
  std::vector<double> all(raw.size() * static_cast<size_t>(comm.world()));
  comm.allgather(raw.data(), all.data(), raw.size(), comm::DType::F64);
  std::vector<PhaseTimes> out;
  for (int r = 0; r < comm.world(); ++r)
    out.push_back(PhaseTimes::from_raw(all.data() + raw.size() * static_cast<size_t>(r)));
  return out;
}

}  // namespace itwin::train
