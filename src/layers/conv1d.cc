#include "cairn/layers/conv1d.h"

#include "cairn/error.h"
#include "cairn/ops.h"
#include "spatial_util.h"

namespace cairn {

Conv1D::Conv1D(int64_t filters, int kernel_size, Conv1DOptions options)
    : Layer("Conv1D", options.name, options.seed), filters_(filters), kernel_size_(kernel_size), options_(std::move(options)) {
  if (filters <= 0)
    throw InvalidArgument("Conv1D: the `filters` argument must be a strictly positive integer, got " +
                          std::to_string(filters));
  detail::require_positive("Conv1D", "kernel_size", kernel_size);
  detail::require_positive("Conv1D", "strides", options_.strides);
  detail::require_dilation_with_unit_stride("Conv1D", options_.dilation_rate, options_.strides);
  detail::require_groups_divide_filters("Conv1D", options_.groups, filters);
  options_.padding = detail::normalize_padding("Conv1D", options_.padding, /*allow_causal=*/true);
  if (!ops::is_activation_name(options_.activation))
    throw InvalidArgument("Conv1D: unknown activation '" + options_.activation + "'");
  if (!options_.kernel_initializer || !options_.bias_initializer)
    throw InvalidArgument("Conv1D: kernel_initializer and bias_initializer must be set");
}

int Conv1D::window() const { return static_cast<int>(kernels::dilated_window(kernel_size_, options_.dilation_rate)); }

void Conv1D::check_input(const Shape& input_shape) const {
  if (input_shape.size() != 3)
    incompatible_input("expected ndim=3, found ndim=" + std::to_string(input_shape.size()) +
                       ". Full shape received: " + shape_str(input_shape));
  if (built() && input_shape[2] != kernel_->shape()[1] * options_.groups)
    incompatible_input("expected axis -1 of input shape to have value " +
                       std::to_string(kernel_->shape()[1] * options_.groups) +
                       ", but received input with shape " + shape_str(input_shape));
  if (options_.padding == "valid" && input_shape[1] >= 0 && input_shape[1] < window())
    incompatible_input("computed output size would be negative for kernel_size " + std::to_string(kernel_size_) +
                       " and dilation_rate " + std::to_string(options_.dilation_rate) +
                       " with padding \"valid\". Full shape received: " + shape_str(input_shape));
}

void Conv1D::build_impl(const Shape& input_shape) {
  const int64_t channels = input_shape[2];
  if (channels <= 0)
    incompatible_input("the channel dimension (axis -1) of the inputs must be defined, got " + shape_str(input_shape));
  if (channels % options_.groups != 0)
    incompatible_input("the number of input channels must be evenly divisible by the number of groups. Received "
                       "groups=" + std::to_string(options_.groups) + ", but the input has " +
                       std::to_string(channels) + " channels (full input shape is " + shape_str(input_shape) + ")");
  kernel_ = add_weight("kernel", {kernel_size_, channels / options_.groups, filters_}, options_.kernel_initializer);
  if (options_.use_bias) bias_ = add_weight("bias", {filters_}, options_.bias_initializer);
}

// A sequence is an image one row high: the 2-D kernels (oneDNN) do the work. Causal padding puts the
// whole window but one before the sequence, then convolves 'valid'.
Tensor Conv1D::call(const Tensor& x, bool) {
  Tensor sequence = x;
  const bool causal = options_.padding == "causal";
  if (causal && window() > 1) {
    const Shape& s = x.shape();
    sequence = ops::concat({Tensor({s[0], window() - 1, s[2]}, DType::Float32), x}, 1);
  }
  const Shape& s = sequence.shape();
  const Tensor image = ops::reshape(sequence, {s[0], 1, s[1], s[2]});
  const Shape& k = kernel_->shape();
  const Tensor kernel = ops::reshape(kernel_->value(), {1, k[0], k[1], k[2]});
  Tensor y = ops::conv2d(image, kernel, {1, options_.strides},
                         causal ? ops::Padding::Valid : ops::padding_from_name(options_.padding),
                         {1, options_.dilation_rate});
  y = ops::reshape(y, {s[0], y.shape()[2], filters_});
  if (bias_) y = ops::bias_add(y, bias_->value());
  return ops::activation(y, options_.activation);
}

Shape Conv1D::compute_output_shape(const Shape& input_shape) const {
  // Causal padding gives the length of 'same'.
  const std::string padding = options_.padding == "causal" ? "same" : options_.padding;
  return {input_shape[0], detail::spatial_output(input_shape[1], window(), options_.strides, padding), filters_};
}

}  // namespace cairn
