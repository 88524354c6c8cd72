// Both networks in checkpoints: the pair's state dict, the generator's
// optimizer in optimizer.pt, the discriminator's beside it, the loss scale
// and the loop state in state.json.
#include <chrono>

#include "../models/tensor_check.hpp"
#include "gan_loop.hpp"
#include "itwin/util/error.hpp"
#include "itwin/util/log.hpp"
#include "loop.hpp"

namespace itwin::train {
namespace {

const char* const kDiscriminatorOptimizer = "optimizer-discriminator.pt";

}  // namespace

torch::Tensor PairModel::forward(const torch::Tensor&) {
  throw RuntimeError("a generator-discriminator pair has no forward");
}

std::vector<torch::Tensor> PairModel::parameters() {
  auto v = g_.parameters();
  for (auto& p : d_.parameters()) v.push_back(p);
  return v;
}

std::vector<std::pair<std::string, torch::Tensor>> PairModel::state() {
  std::vector<std::pair<std::string, torch::Tensor>> v;
  for (auto& [k, t] : g_.state()) v.emplace_back("generator." + k, t);
  for (auto& [k, t] : d_.state()) v.emplace_back("discriminator." + k, t);
  return v;
}

void PairModel::set_training(bool on) {
  g_.set_training(on);
  d_.set_training(on);
}

void PairModel::to(const torch::Device& d) {
  g_.to(d);
  d_.to(d);
}

std::string PairModel::describe() const {
  return "generator " + g_.describe() + ", discriminator " + d_.describe();
}

void GanTrainer::resume() {
  std::optional<std::string> from;
  int64_t from_step = 0;
  if (env_.resume) from = resume_point(*comm_, ckpt_root_, &from_step);
  if (env_.resume) env_.sink.rewind(from ? from_step : 0);
  if (from) models::load_state_dict(pair_, *from + "/model.pt");
  update_->setup(env_.dist);
  if (!from) return;
  st_ = load_checkpoint(*from, nullptr, &update_->generator_optimizer());
  const std::string file = *from + "/" + kDiscriminatorOptimizer;
  try {
    models::check_archive(file);
    torch::load(update_->discriminator_optimizer(), file);
  } catch (const c10::Error& e) {
    std::string m = e.what_without_backtrace();
    throw RuntimeError("checkpoint " + *from + " cannot be restored: " + file + ": " +
                       m.substr(0, m.find('\n')));
  }
  update_->scaler().load(st_);
  result_.resumed = true;
  if (!st_.history.empty()) last_ = st_.history.back();
  spdlog::info("resuming from {} ({} epochs done, step {})", *from, st_.epochs_done, st_.step);
}

void GanTrainer::write_checkpoint(const std::string& name) {
  auto t0 = Clock::now();
  update_->scaler().save(st_);
  if (comm_->rank() == 0) {
    CheckpointFiles extra = {{kDiscriminatorOptimizer, [this](const std::string& p) {
                                torch::save(update_->discriminator_optimizer(), p);
                              }}};
    save_checkpoint(ckpt_root_, name, pair_, update_->generator_optimizer(), st_, env_.config_yaml,
                    {}, extra);
  }
  times_.add(Phase::Checkpoint, std::chrono::duration<double>(Clock::now() - t0).count());
}

}  // namespace itwin::train
