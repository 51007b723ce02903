#include "cairn/layers/max_pooling2d.h"

#include "cairn/ops.h"
#include "spatial_util.h"

namespace cairn {

MaxPooling2D::MaxPooling2D(std::array<int, 2> pool_size, MaxPooling2DOptions options)
    : Layer("MaxPooling2D", options.name),
      pool_size_(pool_size),
      strides_(options.strides.value_or(pool_size)),
      padding_(detail::normalize_padding("MaxPooling2D", options.padding)) {
  detail::require_positive_pair("MaxPooling2D", "pool_size", pool_size_);
  detail::require_positive_pair("MaxPooling2D", "strides", strides_);
}

void MaxPooling2D::check_input(const Shape& input_shape) const {
  if (input_shape.size() != 4)
    incompatible_input("expected ndim=4, found ndim=" + std::to_string(input_shape.size()) +
                       ". Full shape received: " + shape_str(input_shape));
  if (detail::window_exceeds_input(input_shape, pool_size_, padding_))
    incompatible_input("computed output size would be negative for pool_size " +
                       detail::pair_str(pool_size_) +
                       " with padding \"valid\". Full shape received: " + shape_str(input_shape));
}

Tensor MaxPooling2D::call(const Tensor& x, bool) {
  return ops::max_pool2d(x, pool_size_, strides_, ops::padding_from_name(padding_));
}

Shape MaxPooling2D::compute_output_shape(const Shape& input_shape) const {
  return {input_shape[0], detail::spatial_output(input_shape[1], pool_size_[0], strides_[0], padding_),
          detail::spatial_output(input_shape[2], pool_size_[1], strides_[1], padding_), input_shape[3]};
}

}  // namespace cairn
