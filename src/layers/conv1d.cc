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
  if (kernel_size <= 0)
    throw InvalidArgument("Conv1D: the `kernel_size` argument must be a strictly positive integer, got " +
                          std::to_string(kernel_size));
  if (options_.strides <= 0)
    throw InvalidArgument("Conv1D: the `strides` argument must be a strictly positive integer, got " +
                          std::to_string(options_.strides));
  options_.padding = detail::normalize_padding("Conv1D", options_.padding);
  if (!ops::is_activation_name(options_.activation))
    throw InvalidArgument("Conv1D: unknown activation '" + options_.activation + "'");
  if (!options_.kernel_initializer || !options_.bias_initializer)
    throw InvalidArgument("Conv1D: kernel_initializer and bias_initializer must be set");
}

void Conv1D::check_input(const Shape& input_shape) const {
  if (input_shape.size() != 3)
    incompatible_input("expected ndim=3, found ndim=" + std::to_string(input_shape.size()) +
                       ". Full shape received: " + shape_str(input_shape));
  if (built() && input_shape[2] != kernel_->shape()[1])
    incompatible_input("expected axis -1 of input shape to have value " + std::to_string(kernel_->shape()[1]) +
                       ", but received input with shape " + shape_str(input_shape));
  if (options_.padding == "valid" && input_shape[1] >= 0 && input_shape[1] < kernel_size_)
    incompatible_input("computed output size would be negative for kernel_size " + std::to_string(kernel_size_) +
                       " with padding \"valid\". Full shape received: " + shape_str(input_shape));
}

void Conv1D::build_impl(const Shape& input_shape) {
  const int64_t channels = input_shape[2];
  if (channels <= 0)
    incompatible_input("the channel dimension (axis -1) of the inputs must be defined, got " + shape_str(input_shape));
  kernel_ = add_weight("kernel", {kernel_size_, channels, filters_}, options_.kernel_initializer);
  if (options_.use_bias) bias_ = add_weight("bias", {filters_}, options_.bias_initializer);
}

// A sequence is an image one row high: the 2-D kernels (oneDNN) do the work.
Tensor Conv1D::call(const Tensor& x, bool) {
  const Shape& s = x.shape();
  const Tensor image = ops::reshape(x, {s[0], 1, s[1], s[2]});
  const Shape& k = kernel_->shape();
  const Tensor kernel = ops::reshape(kernel_->value(), {1, k[0], k[1], k[2]});
  Tensor y = ops::conv2d(image, kernel, {1, options_.strides}, ops::padding_from_name(options_.padding));
  y = ops::reshape(y, {s[0], y.shape()[2], filters_});
  if (bias_) y = ops::bias_add(y, bias_->value());
  return ops::activation(y, options_.activation);
}

Shape Conv1D::compute_output_shape(const Shape& input_shape) const {
  return {input_shape[0], detail::spatial_output(input_shape[1], kernel_size_, options_.strides, options_.padding),
          filters_};
}

}  // namespace cairn
