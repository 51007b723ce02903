// The epochs of a training loop over in-memory arrays, as Keras's EpochIterator: batching, the count of
// steps in each epoch, each epoch's own data order, and the position (epoch, step, place in the data)
// that puts an iterator back exactly where another one was. fit is built on it; a custom loop can be too:
//
//   EpochIterator epochs(x, y, {.batch_size = 32, .seed = 1});
//   for (int epoch = 0; epoch < 5; ++epoch) {
//     epochs.begin_epoch(epoch);
//     while (std::optional<Batch> batch = epochs.next()) train_step(batch->x, batch->y);
//     epochs.end_epoch();
//   }
#pragma once

#include <cstdint>
#include <optional>

#include "cairn/data.h"

namespace cairn {

struct EpochIteratorOptions {
  int64_t batch_size = 32;
  bool shuffle = true;
  std::optional<uint64_t> seed;  // of the data order; from next_seed() when absent
  // Batches per epoch; 0: one pass over the data. More than a pass carries on into the data's next pass.
  int64_t steps_per_epoch = 0;
  // Data parallelism (BatchIterator::shard): this iterator is replica `replica_id` of `num_replicas`,
  // and its batches are that replica's rows of the global batches. Steps and positions stay global.
  int replica_id = 0;
  int num_replicas = 1;
};

// Where an EpochIterator is: the epoch in progress (or the next one, between epochs), the batches of it
// already yielded, and the place in the data. An epoch's data order is a function of the data's seed and
// pass, so these values restore an iterator exactly.
struct EpochPosition {
  int epoch = 0;
  int64_t step = 0;
  BatchIteratorState data;
  bool operator==(const EpochPosition&) const = default;
};

class EpochIterator {
 public:
  // x and y as for BatchIterator (ShapeError naming both shapes when their lengths differ; y may be
  // undefined). InvalidArgument for a batch_size < 1 or a negative steps_per_epoch.
  EpochIterator(Tensor x, Tensor y, EpochIteratorOptions options = {});

  int64_t steps_per_epoch() const { return steps_per_epoch_; }

  // Starts `epoch` at step 0 in the data order of that epoch, whatever the epoch before it did. If the
  // iterator was put (by restore) at a step > 0 of this very epoch, the epoch continues from there
  // instead: then it returns false, and true when the epoch starts afresh.
  bool begin_epoch(int epoch);
  // The next batch of the epoch in progress; nullopt once it had steps_per_epoch batches.
  std::optional<Batch> next();
  // Ends the epoch in progress, also one that stopped early: the position becomes (epoch + 1, step 0).
  void end_epoch();

  EpochPosition position() const;
  // Puts the iterator at `position`, whose data order wins over this iterator's seed. InvalidArgument
  // (and nothing changes) when the position is for other data (another number of samples) or out of range.
  void restore(const EpochPosition& position);

 private:
  BatchIterator data_;
  int64_t steps_per_epoch_;
  int epoch_ = 0;
  int64_t step_ = 0;
};

}  // namespace cairn
