#include "cairn/layers/separable_conv1d.h"

#include "cairn/error.h"
#include "cairn/ops.h"
#include "spatial_util.h"

namespace cairn {

SeparableConv1D::SeparableConv1D(int64_t filters, int kernel_size, SeparableConv1DOptions options)
    : Layer("SeparableConv1D", options.name, options.seed),
      filters_(filters),
      kernel_size_(kernel_size),
      options_(std::move(options)) {
  if (filters <= 0)
    throw InvalidArgument("SeparableConv1D: the `filters` argument must be a strictly positive integer, got " +
                          std::to_string(filters));
  detail::require_positive("SeparableConv1D", "kernel_size", kernel_size);
  detail::require_positive("SeparableConv1D", "strides", options_.strides);
  // Strides and dilation together are fine here, as in SeparableConv2D.
  detail::require_positive("SeparableConv1D", "dilation_rate", options_.dilation_rate);
  detail::require_depth_multiplier("SeparableConv1D", options_.depth_multiplier);
  options_.padding = detail::normalize_padding("SeparableConv1D", options_.padding);
  if (!ops::is_activation_name(options_.activation))
    throw InvalidArgument("SeparableConv1D: unknown activation '" + options_.activation + "'");
  if (!options_.depthwise_initializer || !options_.pointwise_initializer || !options_.bias_initializer)
    throw InvalidArgument(
        "SeparableConv1D: depthwise_initializer, pointwise_initializer and bias_initializer must be set");
}

int SeparableConv1D::window() const {
  return static_cast<int>(kernels::dilated_window(kernel_size_, options_.dilation_rate));
}

void SeparableConv1D::check_input(const Shape& input_shape) const {
  const size_t rank = input_shape.size();
  if (rank != 3)
    incompatible_input(std::string(rank < 3 ? "expected min_ndim=3" : "expected ndim=3") + ", found ndim=" +
                       std::to_string(rank) + ". Full shape received: " + shape_str(input_shape));
  if (built() && input_shape[2] != depthwise_kernel_->shape()[1])
    incompatible_input("expected axis -1 of input shape to have value " +
                       std::to_string(depthwise_kernel_->shape()[1]) + ", but received input with shape " +
                       shape_str(input_shape));
  if (options_.padding == "valid" && input_shape[1] >= 0 && input_shape[1] < window())
    incompatible_input("computed output size would be negative for kernel_size " + std::to_string(kernel_size_) +
                       " and dilation_rate " + std::to_string(options_.dilation_rate) +
                       " with padding \"valid\". Full shape received: " + shape_str(input_shape));
}

void SeparableConv1D::build_impl(const Shape& input_shape) {
  const int64_t channels = input_shape[2];
  if (channels <= 0)
    incompatible_input("the channel dimension (axis -1) of the inputs must be defined, got " + shape_str(input_shape));
  const int64_t multiplier = options_.depth_multiplier;
  depthwise_kernel_ =
      add_weight("depthwise_kernel", {kernel_size_, channels, multiplier}, options_.depthwise_initializer);
  pointwise_kernel_ =
      add_weight("pointwise_kernel", {1, channels * multiplier, filters_}, options_.pointwise_initializer);
  if (options_.use_bias) bias_ = add_weight("bias", {filters_}, options_.bias_initializer);
}

// The pointwise convolution of size 1 is a dense map of each step's channels.
Tensor SeparableConv1D::call(const Tensor& x, bool) {
  const Tensor depthwise = detail::depthwise_conv1d(x, depthwise_kernel_->value(), options_.strides, options_.padding,
                                                    options_.dilation_rate);
  const Shape& p = pointwise_kernel_->shape();
  Tensor y = ops::dense(depthwise, ops::reshape(pointwise_kernel_->value(), {p[1], p[2]}),
                        bias_ ? bias_->value() : Tensor());
  return ops::activation(y, options_.activation);
}

Shape SeparableConv1D::compute_output_shape(const Shape& input_shape) const {
  return {input_shape[0], detail::spatial_output(input_shape[1], window(), options_.strides, options_.padding), filters_};
}

}  // namespace cairn
