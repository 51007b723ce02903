// The seam between fit and data-parallel training (tf.distribute.ReplicaContext): fit asks it to combine
// gradients and metric sums across the processes that train together. cairn/distributed.h provides one
// over MPI (MultiWorkerMirroredStrategy); fit without one trains in this process alone.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "cairn/tensor.h"
#include "cairn/variable.h"

namespace cairn {

// One step's reduction of gradients (ReplicaContext::begin_gradient_reduction).
class GradientReduction {
 public:
  virtual ~GradientReduction() = default;
  // The gradient of variables[index] is final (float32, the variable's shape): it may be sent now. At
  // most once per index; what counts in finish's `gradients` is then this one.
  virtual void gradient_final(size_t index, const Tensor& gradient) = 0;
  // Sends what gradient_final did not, waits for all, and replaces `gradients` with the reduced ones
  // and `sums` with their sums (all_reduce_gradients says how).
  virtual void finish(std::vector<Tensor>& gradients, std::span<double> sums = {}) = 0;
};

class ReplicaContext {
 public:
  virtual ~ReplicaContext() = default;
  // How many processes train together, and which one this is (0 .. num_replicas_in_sync() - 1).
  virtual int num_replicas_in_sync() const = 0;
  virtual int replica_id_in_sync_group() const = 0;
  // A training step's one reduction: this replica's gradients of its mean loss over `local_samples`
  // samples become the gradients of the mean loss over all replicas' samples of the step (the sum over
  // replicas of local_samples * gradient, divided by the summed local_samples), the same on every
  // replica, and each of `sums` (the step's metric sums) becomes its sum over the replicas (in double).
  // `gradients[i]` is that of `variables[i]`, whose shape it has; it may be undefined (the loss does not
  // reach the variable, or the replica has no samples in the step, a short last batch): it counts as
  // zeros, and stays undefined only where it is undefined on every replica. Collective: every replica
  // calls it once per step, with the same variables and as many sums. The same as
  // begin_gradient_reduction(variables, local_samples)->finish(gradients, sums).
  void all_reduce_gradients(std::vector<Tensor>& gradients, const std::vector<VariablePtr>& variables,
                            int64_t local_samples, std::span<double> sums = {}) {
    begin_gradient_reduction(variables, local_samples)->finish(gradients, sums);
  }
  // all_reduce_gradients begun before the backward pass, so that gradients already final are reduced
  // while the pass still runs (GradientTape::gradient's on_final hook calls GradientReduction::gradient_final).
  // One at a time per replica context. Collective as all_reduce_gradients.
  virtual std::unique_ptr<GradientReduction> begin_gradient_reduction(const std::vector<VariablePtr>& variables,
                                                                      int64_t local_samples) = 0;
  // Overwrites each tensor's values with replica 0's (the starting weights, the shuffling seed), as
  // DDP does when it starts. The tensors have the same shapes and dtypes on every replica. Collective.
  virtual void broadcast_from_first(const std::vector<Tensor>& tensors) = 0;
};

}  // namespace cairn
