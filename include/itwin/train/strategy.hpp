#pragma once
/// Data-parallel strategies: how gradients and optimizer state are shared
/// across ranks. The trainer calls these at its three seams; with one rank
/// the `local` strategy makes them no-ops.
///
/// Protocol per optimizer step, on every rank:
///   1. before_backward(sync) before each micro-step's backward; sync is true
///      only on the last micro-step of an accumulation group;
///   2. reduce_gradients() after that last backward: gradients become the
///      average over ranks (ddp) or this rank's averaged shard (zero1);
///   3. step(optimizer, clip): clip by the global norm, update, and (zero1)
///      all-gather the updated parameters.

#include <torch/torch.h>

#include <memory>
#include <vector>

#include "itwin/comm/backend.hpp"
#include "itwin/config/specs.hpp"
#include "itwin/models/model.hpp"

namespace itwin::train {

class Strategy {
 public:
  virtual ~Strategy() = default;
  /// Makes every rank start from rank 0's parameters and buffers.
  virtual void setup(models::Model& model) = 0;
  /// The tensors this rank's optimizer updates.
  virtual std::vector<torch::Tensor> optimizer_params(models::Model& model) = 0;
  virtual void before_backward(bool sync) { (void)sync; }
  virtual void reduce_gradients() = 0;
  virtual void step(torch::optim::Optimizer& opt, double grad_clip) = 0;
  /// True when reduce_and_step() may replace steps 2 and 3 (ddp). The caller
  /// uses it only without gradient clipping or loss scaling (they need every
  /// gradient before any update) and with optimizers that update each
  /// parameter from its own gradient and state (all of itwin's).
  virtual bool steps_per_bucket() const { return false; }
  /// Steps 2 and 3 overlapped: updates each bucket's parameters as soon as its
  /// average arrives, while later buckets are still in flight; the same
  /// result bit for bit. Returns the seconds this rank waited for (and
  /// averaged) the collectives: the exposed communication.
  virtual double reduce_and_step(torch::optim::Optimizer& opt) {
    (void)opt;
    return 0;
  }
  /// Copies rank 0's buffers (BatchNorm statistics) to every rank.
  virtual void sync_buffers(models::Model& model) { (void)model; }
  /// True when the optimizer state is the same on every rank (checkpoints
  /// written by rank 0 then hold all of it).
  virtual bool replicated_optimizer() const { return true; }
  /// Seconds the gradient collectives were in flight since the last call
  /// (launch to completion, hidden behind backward or not); then resets.
  virtual double take_comm_seconds() { return 0; }
};

/// `local` for a world of one, else `ddp` or `zero1` over `comm`.
std::unique_ptr<Strategy> make_strategy(const config::DistributedSpec& spec, comm::Backend& comm);

/// Broadcasts every tensor of `tensors` from rank 0 (in place).
void broadcast_tensors(comm::Backend& comm, const std::vector<torch::Tensor>& tensors);

/// A pinned host buffer like `like` when it is on a GPU and `comm` takes host
/// memory only (collectives then go through it); undefined otherwise.
torch::Tensor staging_buffer(const torch::Tensor& like, comm::Backend& comm);

}  // namespace itwin::train
