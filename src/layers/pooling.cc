#include "cairn/layers/pooling.h"

#include "cairn/error.h"
#include "cairn/ops.h"
#include "spatial_util.h"

namespace cairn {

namespace {

Tensor pool2d(PoolingReduction reduction, const Tensor& x, std::array<int, 2> pool_size, std::array<int, 2> strides,
              const std::string& padding) {
  const ops::Padding p = ops::padding_from_name(padding);
  return reduction == PoolingReduction::max ? ops::max_pool2d(x, pool_size, strides, p)
                                            : ops::avg_pool2d(x, pool_size, strides, p);
}

}  // namespace

Pooling1D::Pooling1D(PoolingReduction reduction, const std::string& class_name, int pool_size,
                     std::optional<int> strides, const std::string& padding, const std::string& name)
    : Layer(class_name, name),
      reduction_(reduction),
      pool_size_(pool_size),
      strides_(strides.value_or(pool_size)),
      padding_(detail::normalize_padding(class_name, padding)) {
  if (pool_size_ <= 0 || strides_ <= 0)
    throw InvalidArgument(class_name + ": pool_size and strides must be strictly positive integers, got pool_size " +
                          std::to_string(pool_size_) + " and strides " + std::to_string(strides_));
}

void Pooling1D::check_input(const Shape& input_shape) const {
  if (input_shape.size() != 3)
    incompatible_input("expected ndim=3, found ndim=" + std::to_string(input_shape.size()) +
                       ". Full shape received: " + shape_str(input_shape));
  if (padding_ == "valid" && input_shape[1] >= 0 && input_shape[1] < pool_size_)
    incompatible_input("computed output size would be negative for pool_size " + std::to_string(pool_size_) +
                       " with padding \"valid\". Full shape received: " + shape_str(input_shape));
}

// A sequence is an image one row high.
Tensor Pooling1D::call(const Tensor& x, bool) {
  const Shape& s = x.shape();
  Tensor y = pool2d(reduction_, ops::reshape(x, {s[0], 1, s[1], s[2]}), {1, pool_size_}, {1, strides_}, padding_);
  return ops::reshape(y, {s[0], y.shape()[2], s[2]});
}

Shape Pooling1D::compute_output_shape(const Shape& input_shape) const {
  return {input_shape[0], detail::spatial_output(input_shape[1], pool_size_, strides_, padding_), input_shape[2]};
}

Pooling2D::Pooling2D(PoolingReduction reduction, const std::string& class_name, std::array<int, 2> pool_size,
                     std::optional<std::array<int, 2>> strides, const std::string& padding, const std::string& name)
    : Layer(class_name, name),
      reduction_(reduction),
      pool_size_(pool_size),
      strides_(strides.value_or(pool_size)),
      padding_(detail::normalize_padding(class_name, padding)) {
  detail::require_positive_pair(class_name, "pool_size", pool_size_);
  detail::require_positive_pair(class_name, "strides", strides_);
}

void Pooling2D::check_input(const Shape& input_shape) const {
  if (input_shape.size() != 4)
    incompatible_input("expected ndim=4, found ndim=" + std::to_string(input_shape.size()) +
                       ". Full shape received: " + shape_str(input_shape));
  if (detail::window_exceeds_input(input_shape, pool_size_, padding_))
    incompatible_input("computed output size would be negative for pool_size " + detail::pair_str(pool_size_) +
                       " with padding \"valid\". Full shape received: " + shape_str(input_shape));
}

Tensor Pooling2D::call(const Tensor& x, bool) { return pool2d(reduction_, x, pool_size_, strides_, padding_); }

Shape Pooling2D::compute_output_shape(const Shape& input_shape) const {
  return {input_shape[0], detail::spatial_output(input_shape[1], pool_size_[0], strides_[0], padding_),
          detail::spatial_output(input_shape[2], pool_size_[1], strides_[1], padding_), input_shape[3]};
}

}  // namespace cairn
