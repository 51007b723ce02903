#include "cairn/layers/max_pooling1d.h"

#include "cairn/error.h"
#include "cairn/ops.h"
#include "spatial_util.h"

namespace cairn {

MaxPooling1D::MaxPooling1D(int pool_size, MaxPooling1DOptions options)
    : Layer("MaxPooling1D", options.name),
      pool_size_(pool_size),
      strides_(options.strides.value_or(pool_size)),
      padding_(detail::normalize_padding("MaxPooling1D", options.padding)) {
  if (pool_size_ <= 0 || strides_ <= 0)
    throw InvalidArgument("MaxPooling1D: pool_size and strides must be strictly positive integers, got pool_size " +
                          std::to_string(pool_size_) + " and strides " + std::to_string(strides_));
}

void MaxPooling1D::check_input(const Shape& input_shape) const {
  if (input_shape.size() != 3)
    incompatible_input("expected ndim=3, found ndim=" + std::to_string(input_shape.size()) +
                       ". Full shape received: " + shape_str(input_shape));
  if (padding_ == "valid" && input_shape[1] >= 0 && input_shape[1] < pool_size_)
    incompatible_input("computed output size would be negative for pool_size " + std::to_string(pool_size_) +
                       " with padding \"valid\". Full shape received: " + shape_str(input_shape));
}

// A sequence is an image one row high.
Tensor MaxPooling1D::call(const Tensor& x, bool) {
  const Shape& s = x.shape();
  Tensor y = ops::max_pool2d(ops::reshape(x, {s[0], 1, s[1], s[2]}), {1, pool_size_}, {1, strides_},
                             ops::padding_from_name(padding_));
  return ops::reshape(y, {s[0], y.shape()[2], s[2]});
}

Shape MaxPooling1D::compute_output_shape(const Shape& input_shape) const {
  return {input_shape[0], detail::spatial_output(input_shape[1], pool_size_, strides_, padding_), input_shape[2]};
}

}  // namespace cairn
