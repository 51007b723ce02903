#include "cairn/layers/conv1d_transpose.h"

#include "cairn/error.h"
#include "cairn/ops.h"
#include "spatial_util.h"

namespace cairn {

Conv1DTranspose::Conv1DTranspose(int64_t filters, int kernel_size, Conv1DTransposeOptions options)
    : Layer("Conv1DTranspose", options.name, options.seed),
      filters_(filters),
      kernel_size_(kernel_size),
      options_(std::move(options)) {
  if (filters <= 0)
    throw InvalidArgument("Conv1DTranspose: the `filters` argument must be a strictly positive integer, got " +
                          std::to_string(filters));
  detail::require_positive("Conv1DTranspose", "kernel_size", kernel_size);
  detail::require_positive("Conv1DTranspose", "strides", options_.strides);
  detail::require_dilation_with_unit_stride("Conv1DTranspose", options_.dilation_rate, options_.strides);
  if (options_.output_padding)
    detail::require_output_padding_below_strides("Conv1DTranspose", {*options_.output_padding}, {options_.strides},
                                                 std::to_string(*options_.output_padding),
                                                 std::to_string(options_.strides));
  options_.padding = detail::normalize_padding("Conv1DTranspose", options_.padding);
  if (!ops::is_activation_name(options_.activation))
    throw InvalidArgument("Conv1DTranspose: unknown activation '" + options_.activation + "'");
  if (!options_.kernel_initializer || !options_.bias_initializer)
    throw InvalidArgument("Conv1DTranspose: kernel_initializer and bias_initializer must be set");
}

int64_t Conv1DTranspose::output_length(int64_t input_length) const {
  return detail::transposed_output_length(input_length, kernel_size_, options_.strides, options_.dilation_rate,
                                          options_.padding, options_.output_padding);
}

void Conv1DTranspose::check_input(const Shape& input_shape) const {
  const size_t rank = input_shape.size();
  if (rank != 3)
    incompatible_input(std::string(rank < 3 ? "expected min_ndim=3" : "expected ndim=3") + ", found ndim=" +
                       std::to_string(rank) + ". Full shape received: " + shape_str(input_shape));
  if (built() && input_shape[2] != kernel_->shape()[2])
    incompatible_input("expected axis -1 of input shape to have value " + std::to_string(kernel_->shape()[2]) +
                       ", but received input with shape " + shape_str(input_shape));
  if (!detail::transposed_output_convolves_back(input_shape[1], kernel_size_, options_.strides, options_.dilation_rate,
                                                options_.padding, options_.output_padding))
    incompatible_input("an output of " + std::to_string(output_length(input_shape[1])) + " steps (kernel_size " +
                       std::to_string(kernel_size_) + ", strides " + std::to_string(options_.strides) +
                       ", output_padding " +
                       (options_.output_padding ? std::to_string(*options_.output_padding) : "None") + ", padding \"" +
                       options_.padding + "\") does not convolve back to " + std::to_string(input_shape[1]) +
                       ". Full shape received: " + shape_str(input_shape));
}

void Conv1DTranspose::build_impl(const Shape& input_shape) {
  const int64_t channels = input_shape[2];
  if (channels <= 0)
    incompatible_input("the channel dimension (axis -1) of the inputs must be defined, got " + shape_str(input_shape));
  kernel_ = add_weight("kernel", {kernel_size_, filters_, channels}, options_.kernel_initializer);
  if (options_.use_bias) bias_ = add_weight("bias", {filters_}, options_.bias_initializer);
}

// A sequence is an image one row high: Conv2DTranspose's kernel (oneDNN) does the work.
Tensor Conv1DTranspose::call(const Tensor& x, bool) {
  const Shape& s = x.shape();
  const Shape& k = kernel_->shape();
  const int64_t length = output_length(s[1]);
  Tensor y = ops::conv2d_transpose(ops::reshape(x, {s[0], 1, s[1], s[2]}), ops::reshape(kernel_->value(), {1, k[0], k[1], k[2]}),
                                   {1, length}, {1, options_.strides}, ops::padding_from_name(options_.padding),
                                   {1, options_.dilation_rate});
  y = ops::reshape(y, {s[0], length, filters_});
  if (bias_) y = ops::bias_add(y, bias_->value());
  return ops::activation(y, options_.activation);
}

Shape Conv1DTranspose::compute_output_shape(const Shape& input_shape) const {
  return {input_shape[0], output_length(input_shape[1]), filters_};
}

}  // namespace cairn
