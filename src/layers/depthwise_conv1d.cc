#include "cairn/layers/depthwise_conv1d.h"

#include "cairn/error.h"
#include "cairn/ops.h"
#include "spatial_util.h"

namespace cairn {

DepthwiseConv1D::DepthwiseConv1D(int kernel_size, DepthwiseConv1DOptions options)
    : Layer("DepthwiseConv1D", options.name, options.seed), kernel_size_(kernel_size), options_(std::move(options)) {
  detail::require_positive("DepthwiseConv1D", "kernel_size", kernel_size);
  detail::require_positive("DepthwiseConv1D", "strides", options_.strides);
  // Strides and dilation together are fine here, as in DepthwiseConv2D.
  detail::require_positive("DepthwiseConv1D", "dilation_rate", options_.dilation_rate);
  detail::require_depth_multiplier("DepthwiseConv1D", options_.depth_multiplier);
  options_.padding = detail::normalize_padding("DepthwiseConv1D", options_.padding);
  if (!ops::is_activation_name(options_.activation))
    throw InvalidArgument("DepthwiseConv1D: unknown activation '" + options_.activation + "'");
  if (!options_.depthwise_initializer || !options_.bias_initializer)
    throw InvalidArgument("DepthwiseConv1D: depthwise_initializer and bias_initializer must be set");
}

int DepthwiseConv1D::window() const {
  return static_cast<int>(kernels::dilated_window(kernel_size_, options_.dilation_rate));
}

void DepthwiseConv1D::check_input(const Shape& input_shape) const {
  const size_t rank = input_shape.size();
  if (rank != 3)
    incompatible_input(std::string(rank < 3 ? "expected min_ndim=3" : "expected ndim=3") + ", found ndim=" +
                       std::to_string(rank) + ". Full shape received: " + shape_str(input_shape));
  if (built() && input_shape[2] != kernel_->shape()[1])
    incompatible_input("expected axis -1 of input shape to have value " + std::to_string(kernel_->shape()[1]) +
                       ", but received input with shape " + shape_str(input_shape));
  if (options_.padding == "valid" && input_shape[1] >= 0 && input_shape[1] < window())
    incompatible_input("computed output size would be negative for kernel_size " + std::to_string(kernel_size_) +
                       " and dilation_rate " + std::to_string(options_.dilation_rate) +
                       " with padding \"valid\". Full shape received: " + shape_str(input_shape));
}

void DepthwiseConv1D::build_impl(const Shape& input_shape) {
  const int64_t channels = input_shape[2];
  if (channels <= 0)
    incompatible_input("the channel dimension (axis -1) of the inputs must be defined, got " + shape_str(input_shape));
  kernel_ = add_weight("kernel", {kernel_size_, channels, options_.depth_multiplier}, options_.depthwise_initializer);
  if (options_.use_bias) bias_ = add_weight("bias", {channels * options_.depth_multiplier}, options_.bias_initializer);
}

// tf-keras names the kernel depthwise_kernel in TensorFlow checkpoints, as for DepthwiseConv2D.
std::vector<Layer::KerasWeightPath> DepthwiseConv1D::keras_weight_paths() const {
  std::vector<KerasWeightPath> paths = Layer::keras_weight_paths();
  if (!paths.empty()) paths[0].checkpoint = "depthwise_kernel";
  return paths;
}

Tensor DepthwiseConv1D::call(const Tensor& x, bool) {
  Tensor y = detail::depthwise_conv1d(x, kernel_->value(), options_.strides, options_.padding, options_.dilation_rate);
  if (bias_) y = ops::bias_add(y, bias_->value());
  return ops::activation(y, options_.activation);
}

Shape DepthwiseConv1D::compute_output_shape(const Shape& input_shape) const {
  return {input_shape[0], detail::spatial_output(input_shape[1], window(), options_.strides, options_.padding),
          input_shape[2] < 0 ? -1 : input_shape[2] * options_.depth_multiplier};
}

}  // namespace cairn
