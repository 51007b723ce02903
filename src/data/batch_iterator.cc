#include <bit>
#include <numeric>

#include "cairn/data.h"

namespace cairn {

std::array<int64_t, 4> BatchIteratorState::to_array() const {
  return {epoch, position, std::bit_cast<int64_t>(seed), num_samples};
}

BatchIteratorState BatchIteratorState::from_array(const std::array<int64_t, 4>& values) {
  return {values[0], values[1], std::bit_cast<uint64_t>(values[2]), values[3]};
}

BatchIterator::BatchIterator(Tensor x, Tensor y, int64_t batch_size, bool shuffle,
                             std::optional<uint64_t> seed)
    : x_(std::move(x)), y_(std::move(y)), batch_size_(batch_size), shuffle_(shuffle) {
  if (!x_.defined() || x_.rank() == 0)
    throw InvalidArgument("BatchIterator: x must be a tensor of rank >= 1");
  if (batch_size_ < 1)
    throw InvalidArgument("BatchIterator: batch_size must be >= 1, got " + std::to_string(batch_size_));
  if (y_.defined() && (y_.rank() == 0 || y_.dim(0) != x_.dim(0)))
    throw ShapeError("BatchIterator: x of shape " + shape_str(x_.shape()) + " and y of shape " +
                     shape_str(y_.shape()) + " do not have the same number of samples");
  num_samples_ = x_.dim(0);
  state_.seed = seed ? *seed : next_seed();
  state_.num_samples = num_samples_;
  compute_order();
}

std::optional<Batch> BatchIterator::next() {
  if (state_.position >= num_samples_) {
    ++state_.epoch;
    state_.position = 0;
    compute_order();
    return std::nullopt;
  }
  const int64_t count = std::min(batch_size_, num_samples_ - state_.position);
  const int64_t begin = state_.position + count * shard_index_ / shard_count_;
  const int64_t end = state_.position + count * (shard_index_ + 1) / shard_count_;
  Batch batch{gather(x_, begin, end - begin), y_.defined() ? gather(y_, begin, end - begin) : Tensor()};
  state_.position += count;
  return batch;
}

void BatchIterator::shard(int index, int count) {
  if (count < 1 || index < 0 || index >= count)
    throw InvalidArgument("BatchIterator::shard: replica " + std::to_string(index) + " of " + std::to_string(count) +
                          " does not exist");
  shard_index_ = index;
  shard_count_ = count;
}

void BatchIterator::set_state(const BatchIteratorState& state) {
  if (state.num_samples != num_samples_)
    throw InvalidArgument("BatchIterator::set_state: the state is for " + std::to_string(state.num_samples) +
                          " samples, this iterator has " + std::to_string(num_samples_));
  if (state.epoch < 0 || state.position < 0 || state.position > num_samples_)
    throw InvalidArgument("BatchIterator::set_state: epoch " + std::to_string(state.epoch) + ", position " +
                          std::to_string(state.position) + " out of range for " +
                          std::to_string(num_samples_) + " samples");
  state_ = state;
  compute_order();
}

void BatchIterator::compute_order() {
  // A function of (seed, epoch) alone, so that a restored state reproduces it without storing it.
  if (shuffle_) {
    order_ = Generator(state_.seed).fork(static_cast<uint64_t>(state_.epoch)).permutation(num_samples_);
  } else {
    order_.resize(static_cast<size_t>(num_samples_));
    std::iota(order_.begin(), order_.end(), int64_t{0});
  }
}

Tensor BatchIterator::gather(const Tensor& source, int64_t begin, int64_t count) const {
  Shape shape = source.shape();
  shape[0] = count;
  Tensor out(shape, source.dtype());
  size_t row_bytes = source.nbytes() / static_cast<size_t>(num_samples_);
  const uint8_t* from = static_cast<const uint8_t*>(source.raw_data());
  uint8_t* to = static_cast<uint8_t*>(out.raw_data());
  for (int64_t i = 0; i < count; ++i)
    std::memcpy(to + i * row_bytes, from + order_[begin + i] * row_bytes, row_bytes);
  return out;
}

}  // namespace cairn
