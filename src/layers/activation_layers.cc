#include "cairn/layers/activation_layers.h"

#include <cmath>
#include <limits>
#include <vector>

#include "cairn/error.h"
#include "cairn/ops.h"

namespace cairn {

namespace {

// x >= 0 ? x : slope x, for any slope.
Tensor leaky(const Tensor& x, double slope) {
  Tensor y = ops::relu(x);
  if (slope != 0) y = ops::sub(y, ops::scale(ops::relu(ops::neg(x)), slope));
  return y;
}

}  // namespace

ReLU::ReLU(ReLUOptions options) : Layer("ReLU", options.name), options_(std::move(options)) {
  if (options_.max_value && !(*options_.max_value >= 0))
    throw InvalidArgument("ReLU: max_value of " + std::to_string(*options_.max_value) + " must be non-negative");
  if (!(options_.negative_slope >= 0))
    throw InvalidArgument("ReLU: negative_slope of " + std::to_string(options_.negative_slope) + " must be non-negative");
}

Tensor ReLU::call(const Tensor& x, bool) {
  Tensor y = leaky(x, options_.negative_slope);
  if (options_.max_value) y = ops::clip(y, -std::numeric_limits<double>::infinity(), *options_.max_value);
  return y;
}

LeakyReLU::LeakyReLU(double negative_slope, std::string name)
    : Layer("LeakyReLU", std::move(name)), negative_slope_(negative_slope) {
  if (!(negative_slope >= 0))
    throw InvalidArgument("LeakyReLU: negative_slope of " + std::to_string(negative_slope) + " must be non-negative");
}

Tensor LeakyReLU::call(const Tensor& x, bool) { return leaky(x, negative_slope_); }

ELU::ELU(double alpha, std::string name) : Layer("ELU", std::move(name)), alpha_(alpha) {
  if (!std::isfinite(alpha)) throw InvalidArgument("ELU: alpha must be finite, got " + std::to_string(alpha));
}

// relu(x) + alpha (exp(min(x, 0)) - 1): the exponential never sees a large positive x.
Tensor ELU::call(const Tensor& x, bool) {
  const Tensor negative_part = ops::add_scalar(ops::exp(ops::neg(ops::relu(ops::neg(x)))), -1.0);
  return ops::add(ops::relu(x), ops::scale(negative_part, alpha_));
}

Softmax::Softmax(int axis, std::string name) : Layer("Softmax", std::move(name)), axis_(axis) {}

void Softmax::check_input(const Shape& input_shape) const {
  const int rank = static_cast<int>(input_shape.size());
  if (axis_ >= rank || axis_ < -rank)
    incompatible_input("axis " + std::to_string(axis_) + " is out of range for an input of shape " +
                       shape_str(input_shape));
}

Tensor Softmax::call(const Tensor& x, bool) { return ops::softmax(x, axis_); }

Tensor Softmax::call_with_mask(const Tensor& x, const Tensor& mask, bool training) {
  const Shape& xs = x.shape();
  const Shape& ms = mask.shape();
  bool broadcastable = ms.size() <= xs.size();
  for (size_t i = 1; broadcastable && i <= ms.size(); ++i)
    broadcastable = ms[ms.size() - i] == 1 || ms[ms.size() - i] == xs[xs.size() - i];
  if (!broadcastable)
    throw ShapeError("layer \"" + name() + "\": The `mask` must be broadcastable to `inputs`. Each mask dimension must be 1 "
                     "or match the corresponding input dimension (aligned from the last). Received: inputs.shape=" +
                     shape_str(xs) + ", mask.shape=" + shape_str(ms));
  // Keras keeps the entries where the mask is > 0.5 and sets the others to -1e9: x * keep + (keep - 1) * 1e9
  // is exactly that, with the gradient only at the kept entries.
  std::vector<float> keep;
  for (double m : mask.to(DType::Float64).to_vector<double>()) keep.push_back(m > 0.5 ? 1.0f : 0.0f);
  const Tensor kept = Tensor::from_vector<float>(ms, keep).to(x.dtype());
  const Tensor masked = ops::add(ops::mul(x, kept), ops::scale(ops::add_scalar(kept, -1.0), 1e9));
  // And the masked entries of the output are 0, also where the whole axis is masked (which would
  // otherwise give an even spread).
  return ops::mul(call(masked, training), kept);
}

PReLU::PReLU(PReLUOptions options) : Layer("PReLU", options.name), options_(std::move(options)) {
  if (!options_.alpha_initializer) throw InvalidArgument("PReLU: alpha_initializer must be set");
  for (int axis : options_.shared_axes)
    if (axis < 1) throw InvalidArgument("PReLU: shared_axes are 1-based axes of a sample, got " + std::to_string(axis));
}

void PReLU::check_input(const Shape& input_shape) const {
  if (input_shape.size() < 2)
    incompatible_input("expected min_ndim=2, found ndim=" + std::to_string(input_shape.size()) +
                       ". Full shape received: " + shape_str(input_shape));
  for (int axis : options_.shared_axes)
    if (axis >= static_cast<int>(input_shape.size()))
      incompatible_input("shared_axes entry " + std::to_string(axis) + " is not an axis of an input of shape " +
                         shape_str(input_shape));
  if (built()) {
    const Shape expected = alpha_->shape();
    for (size_t i = 1; i < input_shape.size(); ++i)
      if (expected[i - 1] != 1 && input_shape[i] != expected[i - 1])
        incompatible_input("alpha has shape " + shape_str(expected) + ", which does not fit an input of shape " +
                           shape_str(input_shape));
  }
}

void PReLU::build_impl(const Shape& input_shape) {
  Shape shape(input_shape.begin() + 1, input_shape.end());
  for (int axis : options_.shared_axes) shape[axis - 1] = 1;
  for (int64_t d : shape)
    if (d <= 0) incompatible_input("the dimensions of the input must be defined, got " + shape_str(input_shape));
  alpha_ = add_weight("alpha", shape, options_.alpha_initializer);
}

Tensor PReLU::call(const Tensor& x, bool) {
  return ops::sub(ops::relu(x), ops::mul(alpha_->value(), ops::relu(ops::neg(x))));
}

}  // namespace cairn
