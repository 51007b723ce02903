#include "cairn/layers/depthwise_conv2d.h"

#include "cairn/error.h"
#include "cairn/ops.h"
#include "spatial_util.h"

namespace cairn {

DepthwiseConv2D::DepthwiseConv2D(std::array<int, 2> kernel_size, DepthwiseConv2DOptions options)
    : Layer("DepthwiseConv2D", options.name, options.seed), kernel_size_(kernel_size), options_(std::move(options)) {
  detail::require_positive_pair("DepthwiseConv2D", "kernel_size", kernel_size);
  detail::require_positive_pair("DepthwiseConv2D", "strides", options_.strides);
  // Strides and dilation together are fine here: Keras 3 computes them (TensorFlow's padding), as oneDNN does.
  detail::require_positive_pair("DepthwiseConv2D", "dilation_rate", options_.dilation_rate);
  detail::require_depth_multiplier("DepthwiseConv2D", options_.depth_multiplier);
  options_.padding = detail::normalize_padding("DepthwiseConv2D", options_.padding);
  if (!ops::is_activation_name(options_.activation))
    throw InvalidArgument("DepthwiseConv2D: unknown activation '" + options_.activation + "'");
  if (!options_.depthwise_initializer || !options_.bias_initializer)
    throw InvalidArgument("DepthwiseConv2D: depthwise_initializer and bias_initializer must be set");
}

void DepthwiseConv2D::check_input(const Shape& input_shape) const {
  const size_t rank = input_shape.size();
  if (rank != 4)
    incompatible_input(std::string(rank < 4 ? "expected min_ndim=4" : "expected ndim=4") + ", found ndim=" +
                       std::to_string(rank) + ". Full shape received: " + shape_str(input_shape));
  if (built() && input_shape[3] != kernel_->shape()[2])
    incompatible_input("expected axis -1 of input shape to have value " + std::to_string(kernel_->shape()[2]) +
                       ", but received input with shape " + shape_str(input_shape));
  if (detail::window_exceeds_input(input_shape, detail::dilated_pair(kernel_size_, options_.dilation_rate),
                                   options_.padding))
    incompatible_input("computed output size would be negative for kernel_size " + detail::pair_str(kernel_size_) +
                       " and dilation_rate " + detail::pair_str(options_.dilation_rate) +
                       " with padding \"valid\". Full shape received: " + shape_str(input_shape));
}

void DepthwiseConv2D::build_impl(const Shape& input_shape) {
  const int64_t channels = input_shape[3];
  if (channels <= 0)
    incompatible_input("the channel dimension (axis -1) of the inputs must be defined, got " +
                       shape_str(input_shape));
  kernel_ = add_weight("kernel", {kernel_size_[0], kernel_size_[1], channels, options_.depth_multiplier},
                       options_.depthwise_initializer);
  if (options_.use_bias)
    bias_ = add_weight("bias", {channels * options_.depth_multiplier}, options_.bias_initializer);
}

std::vector<Layer::KerasWeightPath> DepthwiseConv2D::keras_weight_paths() const {
  std::vector<KerasWeightPath> paths = Layer::keras_weight_paths();
  if (!paths.empty()) paths[0].checkpoint = "depthwise_kernel";
  return paths;
}

Tensor DepthwiseConv2D::call(const Tensor& x, bool) {
  Tensor y = detail::depthwise_conv2d(x, kernel_->value(), options_.strides, options_.padding, options_.dilation_rate);
  if (bias_) y = ops::bias_add(y, bias_->value());
  return ops::activation(y, options_.activation);
}

Shape DepthwiseConv2D::compute_output_shape(const Shape& input_shape) const {
  const std::array<int, 2> window = detail::dilated_pair(kernel_size_, options_.dilation_rate);
  return {input_shape[0], detail::spatial_output(input_shape[1], window[0], options_.strides[0], options_.padding),
          detail::spatial_output(input_shape[2], window[1], options_.strides[1], options_.padding),
          input_shape[3] < 0 ? -1 : input_shape[3] * options_.depth_multiplier};
}

}  // namespace cairn
