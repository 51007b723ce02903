#include "cairn/layers/global_pooling.h"

#include "cairn/ops.h"

namespace cairn {

GlobalPooling::GlobalPooling(std::string class_name, int spatial_axes, bool average, bool keepdims, std::string name)
    : Layer(std::move(class_name), std::move(name)), spatial_axes_(spatial_axes), average_(average), keepdims_(keepdims) {}

void GlobalPooling::check_input(const Shape& input_shape) const {
  const size_t rank = static_cast<size_t>(spatial_axes_) + 2;
  if (input_shape.size() != rank)
    incompatible_input("expected ndim=" + std::to_string(rank) + ", found ndim=" + std::to_string(input_shape.size()) +
                       ". Full shape received: " + shape_str(input_shape));
}

Shape GlobalPooling::compute_output_shape(const Shape& input_shape) const {
  if (!keepdims_) return {input_shape.front(), input_shape.back()};
  Shape out = input_shape;
  for (int axis = 1; axis <= spatial_axes_; ++axis) out[axis] = 1;
  return out;
}

Tensor GlobalPooling::call(const Tensor& x, bool) {
  std::vector<int> axes;
  for (int axis = 1; axis <= spatial_axes_; ++axis) axes.push_back(axis);
  return average_ ? ops::mean(x, axes, keepdims_) : ops::reduce_max(x, axes, keepdims_);
}

Tensor GlobalPooling::call_with_mask(const Tensor& x, const Tensor& mask, bool training) {
  if (!average_ || spatial_axes_ != 1 || mask.rank() != 2) return call(x, training);
  const Tensor weights = ops::reshape(mask.to(x.dtype()), {mask.dim(0), mask.dim(1), 1});
  return ops::div(ops::sum(ops::mul(x, weights), {1}, keepdims_), ops::sum(weights, {1}, keepdims_));
}

}  // namespace cairn
