#include "cairn/layers/dropout.h"

#include "cairn/error.h"
#include "cairn/ops.h"

namespace cairn {

Dropout::Dropout(double rate, std::optional<uint64_t> seed, std::string name, std::vector<int64_t> noise_shape)
    : Layer("Dropout", std::move(name), seed), rate_(rate), seed_(seed), noise_shape_(std::move(noise_shape)) {
  if (!(rate >= 0.0 && rate < 1.0))
    throw InvalidArgument("Dropout: rate must be a float in the range [0, 1), got " + std::to_string(rate));
  for (int64_t size : noise_shape_)
    if (size < -1 || size == 0)
      throw InvalidArgument("Dropout: noise_shape must hold positive sizes or -1 (None), got " + shape_str(noise_shape_));
}

void Dropout::check_input(const Shape& input_shape) const {
  if (noise_shape_.empty()) return;
  if (noise_shape_.size() != input_shape.size())
    incompatible_input("noise_shape " + shape_str(noise_shape_) + " must have one size per axis of the input, got " +
                       shape_str(input_shape));
  for (size_t axis = 0; axis < input_shape.size(); ++axis)
    if (noise_shape_[axis] > 1 && input_shape[axis] >= 0 && noise_shape_[axis] != input_shape[axis])
      incompatible_input("noise_shape " + shape_str(noise_shape_) + " does not broadcast to the input's shape " +
                         shape_str(input_shape));
}

Tensor Dropout::call(const Tensor& x, bool training) {
  if (!training || rate_ == 0.0) return x;
  if (noise_shape_.empty()) return ops::dropout(x, rate_, generator());
  // One draw per element of the noise shape (-1: the input's size), broadcast over the axes of size 1.
  Shape mask_shape = noise_shape_;
  for (size_t axis = 0; axis < mask_shape.size(); ++axis)
    if (mask_shape[axis] < 0) mask_shape[axis] = x.dim(static_cast<int>(axis));
  Tensor mask(mask_shape, DType::Float32);
  const float keep_scale = static_cast<float>(1.0 / (1.0 - rate_));
  const float threshold = static_cast<float>(rate_);
  for (float& v : mask.span<float>()) v = generator().uniform() >= threshold ? keep_scale : 0.f;
  return ops::mul(x, mask);
}

}  // namespace cairn
