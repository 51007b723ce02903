// The seam between fit and data-parallel training (tf.distribute.ReplicaContext): fit asks it to combine
// gradients and metric sums across the processes that train together. cairn/distributed.h provides one
// over MPI (MultiWorkerMirroredStrategy); fit without one trains in this process alone.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "cairn/tensor.h"

namespace cairn {

class ReplicaContext {
 public:
  virtual ~ReplicaContext() = default;
  // How many processes train together, and which one this is (0 .. num_replicas_in_sync() - 1).
  virtual int num_replicas_in_sync() const = 0;
  virtual int replica_id_in_sync_group() const = 0;
  // Turns this replica's gradients of its mean loss over `local_samples` samples into the gradients of
  // the mean loss over all replicas' samples of the step, the same on every replica: sum over replicas
  // of local_samples * gradient, divided by the summed local_samples. A replica with no samples in the
  // step (a short last batch) passes zeros and 0. Collective: every replica calls it once per step.
  virtual void all_reduce_gradients(std::vector<Tensor>& gradients, int64_t local_samples) = 0;
  // Replaces each value by its sum over all replicas (metric totals and counts). Collective.
  virtual void all_reduce_sum(std::span<double> values) = 0;
  // Overwrites each tensor's values with replica 0's (the starting weights, the shuffling seed), as
  // DDP does when it starts. The tensors have the same shapes and dtypes on every replica. Collective.
  virtual void broadcast_from_first(const std::vector<Tensor>& tensors) = 0;
};

}  // namespace cairn
