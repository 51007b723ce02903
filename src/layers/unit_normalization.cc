#include "cairn/layers/unit_normalization.h"

#include "cairn/error.h"
#include "cairn/ops.h"
#include "axis_list.h"

namespace cairn {

namespace {

// Keras clips 1 / norm at 1 / epsilon: the same as clipping the squared norm below at epsilon^2.
constexpr double kEpsilon = 1e-12;

}  // namespace

UnitNormalization::UnitNormalization(UnitNormalizationOptions options)
    : Layer("UnitNormalization", options.name), options_(std::move(options)) {
  if (options_.axis.empty())
    throw InvalidArgument("UnitNormalization: invalid value for `axis` argument: expected an int or a list of ints, "
                          "got an empty list");
}

void UnitNormalization::check_input(const Shape& input_shape) const {
  const int rank = static_cast<int>(input_shape.size());
  for (int axis : options_.axis)
    if (axis >= rank || axis < -rank)
      incompatible_input("axis " + axes_str(options_.axis) + " is out of bounds for input shape " +
                         shape_str(input_shape) + ". Received: axis=" + axes_str(options_.axis));
}

Shape UnitNormalization::compute_output_shape(const Shape& input_shape) const {
  check_input(input_shape);
  return input_shape;
}

Tensor UnitNormalization::call(const Tensor& x, bool) {
  const Tensor squared_norm = ops::sum(ops::square(x), options_.axis, true);
  const Tensor clipped = ops::maximum(squared_norm, Tensor::scalar(kEpsilon * kEpsilon));
  return ops::mul(x, ops::power(clipped, -0.5));
}

}  // namespace cairn
