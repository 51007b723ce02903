#include "cairn/layers/average_pooling.h"

#include "cairn/error.h"
#include "cairn/ops.h"
#include "spatial_util.h"

namespace cairn {

AveragePooling1D::AveragePooling1D(int pool_size, AveragePooling1DOptions options)
    : Layer("AveragePooling1D", options.name),
      pool_size_(pool_size),
      strides_(options.strides.value_or(pool_size)),
      padding_(detail::normalize_padding("AveragePooling1D", options.padding)) {
  if (pool_size_ <= 0 || strides_ <= 0)
    throw InvalidArgument("AveragePooling1D: pool_size and strides must be strictly positive integers, got pool_size " +
                          std::to_string(pool_size_) + " and strides " + std::to_string(strides_));
}

void AveragePooling1D::check_input(const Shape& input_shape) const {
  if (input_shape.size() != 3)
    incompatible_input("expected ndim=3, found ndim=" + std::to_string(input_shape.size()) +
                       ". Full shape received: " + shape_str(input_shape));
  if (padding_ == "valid" && input_shape[1] >= 0 && input_shape[1] < pool_size_)
    incompatible_input("computed output size would be negative for pool_size " + std::to_string(pool_size_) +
                       " with padding \"valid\". Full shape received: " + shape_str(input_shape));
}

// A sequence is an image one row high.
Tensor AveragePooling1D::call(const Tensor& x, bool) {
  const Shape& s = x.shape();
  Tensor y = ops::avg_pool2d(ops::reshape(x, {s[0], 1, s[1], s[2]}), {1, pool_size_}, {1, strides_},
                             ops::padding_from_name(padding_));
  return ops::reshape(y, {s[0], y.shape()[2], s[2]});
}

Shape AveragePooling1D::compute_output_shape(const Shape& input_shape) const {
  return {input_shape[0], detail::spatial_output(input_shape[1], pool_size_, strides_, padding_), input_shape[2]};
}

AveragePooling2D::AveragePooling2D(std::array<int, 2> pool_size, AveragePooling2DOptions options)
    : Layer("AveragePooling2D", options.name),
      pool_size_(pool_size),
      strides_(options.strides.value_or(pool_size)),
      padding_(detail::normalize_padding("AveragePooling2D", options.padding)) {
  detail::require_positive_pair("AveragePooling2D", "pool_size", pool_size_);
  detail::require_positive_pair("AveragePooling2D", "strides", strides_);
}

void AveragePooling2D::check_input(const Shape& input_shape) const {
  if (input_shape.size() != 4)
    incompatible_input("expected ndim=4, found ndim=" + std::to_string(input_shape.size()) +
                       ". Full shape received: " + shape_str(input_shape));
  if (detail::window_exceeds_input(input_shape, pool_size_, padding_))
    incompatible_input("computed output size would be negative for pool_size " + detail::pair_str(pool_size_) +
                       " with padding \"valid\". Full shape received: " + shape_str(input_shape));
}

Tensor AveragePooling2D::call(const Tensor& x, bool) {
  return ops::avg_pool2d(x, pool_size_, strides_, ops::padding_from_name(padding_));
}

Shape AveragePooling2D::compute_output_shape(const Shape& input_shape) const {
  return {input_shape[0], detail::spatial_output(input_shape[1], pool_size_[0], strides_[0], padding_),
          detail::spatial_output(input_shape[2], pool_size_[1], strides_[1], padding_), input_shape[3]};
}

}  // namespace cairn
