// The pieces every training loop shares: checkpoint names, monitored values,
// stop requests, the resume point and the end of an epoch.
#include "loop.hpp"

#include <signal.h>

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

}  // namespace itwin::train
