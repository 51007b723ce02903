#include "cairn/layers/rms_normalization.h"

#include <algorithm>

#include "cairn/error.h"
#include "cairn/ops.h"
#include "axis_list.h"

namespace cairn {

RMSNormalization::RMSNormalization(RMSNormalizationOptions options)
    : Layer("RMSNormalization", options.name), options_(std::move(options)) {
  if (options_.axis.empty())
    throw InvalidArgument("RMSNormalization: the `axis` argument must be an int or a non-empty list of ints");
  if (!(options_.epsilon > 0))
    throw InvalidArgument("RMSNormalization: epsilon must be positive, got " + std::to_string(options_.epsilon));
}

std::vector<int> RMSNormalization::sorted_axes(int rank) const {
  std::vector<int> axes;
  for (int axis : options_.axis) axes.push_back(axis < 0 ? axis + rank : axis);
  std::sort(axes.begin(), axes.end());
  return axes;
}

void RMSNormalization::check_input(const Shape& input_shape) const {
  const int rank = static_cast<int>(input_shape.size());
  for (int axis : options_.axis)
    if (axis >= rank || axis < -rank)
      incompatible_input("axis " + std::to_string(axis) + " is out of bounds for input shape " +
                         shape_str(input_shape) + ". Received: axis=" + axes_str(options_.axis));
  const std::vector<int> axes = sorted_axes(rank);
  for (size_t i = 0; i < axes.size(); ++i)
    if (axes[i] != rank - static_cast<int>(axes.size() - i))
      incompatible_input("axis " + axes_str(options_.axis) + " must be the last axes of the input (Keras's scale "
                         "broadcasts over them), got input shape " + shape_str(input_shape));
  if (built()) {
    const Shape& scale = scale_->shape();
    if (!std::equal(scale.begin(), scale.end(), input_shape.end() - static_cast<long>(scale.size())))
      incompatible_input("the layer was built for axes of shape " + shape_str(scale) + ", got input shape " +
                         shape_str(input_shape));
  }
}

void RMSNormalization::build_impl(const Shape& input_shape) {
  Shape scale_shape;
  for (int axis : sorted_axes(static_cast<int>(input_shape.size()))) {
    if (input_shape[static_cast<size_t>(axis)] <= 0)
      incompatible_input("axis " + std::to_string(axis) + " of the input must be defined, got " + shape_str(input_shape));
    scale_shape.push_back(input_shape[static_cast<size_t>(axis)]);
  }
  scale_ = add_weight("scale", scale_shape, ones());
}

Tensor RMSNormalization::call(const Tensor& x, bool) {
  const Tensor mean_square = ops::mean(ops::square(x), sorted_axes(x.rank()), true);
  const Tensor normalized = ops::mul(x, ops::power(ops::add_scalar(mean_square, options_.epsilon), -0.5));
  return ops::mul(normalized, scale_->value());
}

}  // namespace cairn
