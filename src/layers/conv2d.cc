#include "cairn/layers/conv2d.h"

#include "cairn/error.h"
#include "cairn/ops.h"
#include "spatial_util.h"

namespace cairn {

Conv2D::Conv2D(int64_t filters, std::array<int, 2> kernel_size, Conv2DOptions options)
    : Layer("Conv2D", options.name, options.seed),
      filters_(filters),
      kernel_size_(kernel_size),
      options_(std::move(options)) {
  if (filters <= 0)
    throw InvalidArgument("Conv2D: the `filters` argument must be a strictly positive integer, got " +
                          std::to_string(filters));
  detail::require_positive_pair("Conv2D", "kernel_size", kernel_size);
  detail::require_positive_pair("Conv2D", "strides", options_.strides);
  detail::require_dilation_with_unit_strides("Conv2D", options_.dilation_rate, options_.strides);
  detail::require_groups_divide_filters("Conv2D", options_.groups, filters);
  options_.padding = detail::normalize_padding("Conv2D", options_.padding);
  if (!ops::is_activation_name(options_.activation))
    throw InvalidArgument("Conv2D: unknown activation '" + options_.activation + "'");
  if (!options_.kernel_initializer || !options_.bias_initializer)
    throw InvalidArgument("Conv2D: kernel_initializer and bias_initializer must be set");
}

void Conv2D::check_input(const Shape& input_shape) const {
  const size_t rank = input_shape.size();
  if (rank != 4)
    incompatible_input(std::string(rank < 4 ? "expected min_ndim=4" : "expected ndim=4") + ", found ndim=" +
                       std::to_string(rank) + ". Full shape received: " + shape_str(input_shape));
  if (built() && input_shape[3] != kernel_->shape()[2] * options_.groups)
    incompatible_input("expected axis -1 of input shape to have value " +
                       std::to_string(kernel_->shape()[2] * options_.groups) + ", but received input with shape " +
                       shape_str(input_shape));
  if (detail::window_exceeds_input(input_shape, detail::dilated_pair(kernel_size_, options_.dilation_rate),
                                   options_.padding))
    incompatible_input("computed output size would be negative for kernel_size " +
                       detail::pair_str(kernel_size_) + " and dilation_rate " +
                       detail::pair_str(options_.dilation_rate) +
                       " with padding \"valid\". Full shape received: " + shape_str(input_shape));
}

void Conv2D::build_impl(const Shape& input_shape) {
  const int64_t channels = input_shape[3];
  if (channels <= 0)
    incompatible_input("the channel dimension (axis -1) of the inputs must be defined, got " +
                       shape_str(input_shape));
  if (channels % options_.groups != 0)
    incompatible_input("the number of input channels must be evenly divisible by the number of groups. Received "
                       "groups=" + std::to_string(options_.groups) + ", but the input has " +
                       std::to_string(channels) + " channels (full input shape is " + shape_str(input_shape) + ")");
  kernel_ = add_weight("kernel", {kernel_size_[0], kernel_size_[1], channels / options_.groups, filters_},
                       options_.kernel_initializer);
  if (options_.use_bias) bias_ = add_weight("bias", {filters_}, options_.bias_initializer);
}

Tensor Conv2D::call(const Tensor& x, bool) {
  // The bias and relu go into the convolution's own pass; other activations follow it.
  const bool relu = options_.activation == "relu";
  Tensor y = ops::fused_conv2d(x, kernel_->value(), bias_ ? bias_->value() : Tensor(), relu, options_.strides,
                               ops::padding_from_name(options_.padding), options_.dilation_rate);
  return relu ? y : ops::activation(y, options_.activation);
}

Shape Conv2D::compute_output_shape(const Shape& input_shape) const {
  const std::array<int, 2> window = detail::dilated_pair(kernel_size_, options_.dilation_rate);
  return {input_shape[0], detail::spatial_output(input_shape[1], window[0], options_.strides[0], options_.padding),
          detail::spatial_output(input_shape[2], window[1], options_.strides[1], options_.padding), filters_};
}

}  // namespace cairn
