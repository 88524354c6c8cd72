#pragma once
// The adversarial trainer of gan_trainer.hpp (internal to src/train), in
// pieces: gan_trainer.cpp runs it, gan_epoch.cpp runs an epoch and its
// validation, gan_update.cpp one adversarial step (gan_terms.cpp its
// losses), gan_checkpoint.cpp writes and restores both networks.

#include <torch/torch.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "gan_common.hpp"
#include "gan_update.hpp"
#include "itwin/train/gan_trainer.hpp"
#include "itwin/train/profile.hpp"
#include "itwin/train/progress.hpp"

namespace itwin::train {

/// The two networks as one model for checkpoints: one state dict whose
/// names are "generator.*" and "discriminator.*"; it has no forward.
class PairModel : public models::Model {
 public:
  PairModel(models::Model& g, models::Model& d) : g_(g), d_(d) {}
  torch::Tensor forward(const torch::Tensor&) override;
  std::vector<torch::Tensor> parameters() override;
  std::vector<std::pair<std::string, torch::Tensor>> state() override;
  void set_training(bool on) override;
  void to(const torch::Device& d) override;
  std::string describe() const override;

 private:
  models::Model& g_;
  models::Model& d_;
};

/// One epoch's sums (reduced over ranks at its end), weighted by samples.
enum GanSum { DLoss, Penalty, Aux, DReal, DFake, DSamples, GLoss, GAux, Energy, GSamples, kSums };

/// The metrics of an epoch from its reduced sums: train_d_loss, train_d_real,
/// train_d_fake, train_gp / train_aux when on, and the generator's when it
/// was updated (train_g_loss, train_g_aux, train_energy).
std::map<std::string, double> gan_epoch_metrics(const config::GanTrainerSpec& spec,
                                                const std::vector<double>& sums);

class GanTrainer {
 public:
  GanTrainer(const config::GanTrainerSpec& spec, GanNets nets, const data::DataSplits& data,
             const TrainerEnv& env);
  GanResult run();

 private:
  using Clock = std::chrono::steady_clock;
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
    double seconds() const;
  };

  // gan_checkpoint.cpp
  /// Weights first (rank 0's are broadcast by the strategies), then the
  /// optimizers over them, then their states, the loss scale and the loop state.
  void resume();
  /// Every rank calls this at the same point; rank 0 writes (the optimizers are replicated).
  void write_checkpoint(const std::string& name);

  // gan_epoch.cpp
  void run_epoch(int64_t epoch);
  /// One batch: a discriminator step, and every critic_steps-th a generator step.
  void batch_step(Epoch& e, int64_t i);
  /// Sums, validation (the physics probe), loggers, checkpoints, early
  /// stopping; true: stop training early.
  bool end_epoch(int64_t epoch, Epoch& e);
  [[noreturn]] void diverged(const char* which, double v, const Epoch& e, int64_t i);

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
  std::unique_ptr<GanUpdate> update_;
  TrainState st_;
  GanResult result_;
  PhaseTimes times_;
  std::map<std::string, double> last_;
  double session_seconds_ = 0;
  int64_t session_samples_ = 0;
};

}  // namespace itwin::train
