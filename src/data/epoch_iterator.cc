#include "cairn/epoch_iterator.h"

#include <string>
#include <utility>

#include "cairn/error.h"

namespace cairn {

EpochIterator::EpochIterator(Tensor x, Tensor y, EpochIteratorOptions options)
    : data_(std::move(x), std::move(y), options.batch_size, options.shuffle, options.seed) {
  if (options.steps_per_epoch < 0)
    throw InvalidArgument("EpochIterator: steps_per_epoch must be >= 0 (0: one pass over the data), got " +
                          std::to_string(options.steps_per_epoch));
  steps_per_epoch_ = options.steps_per_epoch > 0 ? options.steps_per_epoch : data_.batches_per_epoch();
  data_.shard(options.replica_id, options.num_replicas);
}

bool EpochIterator::begin_epoch(int epoch) {
  if (epoch == epoch_ && step_ > 0) return false;  // restored inside this epoch
  epoch_ = epoch;
  step_ = 0;
  // The data order is a function of the epoch number, whatever epoch a run starts from.
  BatchIteratorState start = data_.state();
  if (start.epoch != epoch || start.position != 0) {
    start.epoch = epoch;
    start.position = 0;
    data_.set_state(start);
  }
  return true;
}

std::optional<Batch> EpochIterator::next() {
  if (step_ >= steps_per_epoch_) return std::nullopt;
  std::optional<Batch> batch = data_.next();
  // A steps_per_epoch longer than the data carries on into the data's next pass.
  if (!batch) batch = data_.next();
  if (batch) ++step_;
  return batch;
}

void EpochIterator::end_epoch() {
  epoch_ += 1;
  step_ = 0;
  BatchIteratorState next_epoch = data_.state();
  next_epoch.epoch = epoch_;
  next_epoch.position = 0;
  data_.set_state(next_epoch);
}

EpochPosition EpochIterator::position() const { return {epoch_, step_, data_.state()}; }

void EpochIterator::restore(const EpochPosition& position) {
  if (position.epoch < 0 || position.step < 0)
    throw InvalidArgument("EpochIterator::restore: epoch " + std::to_string(position.epoch) + ", step " +
                          std::to_string(position.step) + " out of range");
  data_.set_state(position.data);  // checks the data's part
  epoch_ = position.epoch;
  step_ = position.step;
}

}  // namespace cairn
