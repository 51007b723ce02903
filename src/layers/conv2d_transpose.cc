#include "cairn/layers/conv2d_transpose.h"

#include "cairn/error.h"
#include "cairn/ops.h"
#include "spatial_util.h"

namespace cairn {

Conv2DTranspose::Conv2DTranspose(int64_t filters, std::array<int, 2> kernel_size, Conv2DTransposeOptions options)
    : Layer("Conv2DTranspose", options.name, options.seed),
      filters_(filters),
      kernel_size_(kernel_size),
      options_(std::move(options)) {
  if (filters <= 0)
    throw InvalidArgument("Conv2DTranspose: the `filters` argument must be a strictly positive integer, got " +
                          std::to_string(filters));
  detail::require_positive_pair("Conv2DTranspose", "kernel_size", kernel_size);
  detail::require_positive_pair("Conv2DTranspose", "strides", options_.strides);
  detail::require_dilation_with_unit_strides("Conv2DTranspose", options_.dilation_rate, options_.strides);
  if (const auto& padding = options_.output_padding)
    detail::require_output_padding_below_strides("Conv2DTranspose", {(*padding)[0], (*padding)[1]},
                                                 {options_.strides[0], options_.strides[1]}, detail::pair_str(*padding),
                                                 detail::pair_str(options_.strides));
  options_.padding = detail::normalize_padding("Conv2DTranspose", options_.padding);
  if (!ops::is_activation_name(options_.activation))
    throw InvalidArgument("Conv2DTranspose: unknown activation '" + options_.activation + "'");
  if (!options_.kernel_initializer || !options_.bias_initializer)
    throw InvalidArgument("Conv2DTranspose: kernel_initializer and bias_initializer must be set");
}

int64_t Conv2DTranspose::output_length(int axis, int64_t input_length) const {
  return detail::transposed_output_length(input_length, kernel_size_[axis], options_.strides[axis],
                                          options_.dilation_rate[axis], options_.padding, output_padding_at(axis));
}

std::optional<int> Conv2DTranspose::output_padding_at(int axis) const {
  return options_.output_padding ? std::optional<int>((*options_.output_padding)[axis]) : std::nullopt;
}

void Conv2DTranspose::check_input(const Shape& input_shape) const {
  const size_t rank = input_shape.size();
  if (rank != 4)
    incompatible_input(std::string(rank < 4 ? "expected min_ndim=4" : "expected ndim=4") + ", found ndim=" +
                       std::to_string(rank) + ". Full shape received: " + shape_str(input_shape));
  if (built() && input_shape[3] != kernel_->shape()[3])
    incompatible_input("expected axis -1 of input shape to have value " + std::to_string(kernel_->shape()[3]) +
                       ", but received input with shape " + shape_str(input_shape));
  for (int axis = 0; axis < 2; ++axis) {
    const int64_t in = input_shape[axis + 1];
    if (!detail::transposed_output_convolves_back(in, kernel_size_[axis], options_.strides[axis],
                                                  options_.dilation_rate[axis], options_.padding, output_padding_at(axis)))
      incompatible_input("an output of size " + std::to_string(output_length(axis, in)) + " along spatial axis " +
                         std::to_string(axis) + " (kernel_size " + detail::pair_str(kernel_size_) + ", strides " +
                         detail::pair_str(options_.strides) + ", output_padding " +
                         (options_.output_padding ? detail::pair_str(*options_.output_padding) : "None") +
                         ", padding \"" + options_.padding + "\") does not convolve back to " + std::to_string(in) +
                         ". Full shape received: " + shape_str(input_shape));
  }
}

void Conv2DTranspose::build_impl(const Shape& input_shape) {
  const int64_t channels = input_shape[3];
  if (channels <= 0)
    incompatible_input("the channel dimension (axis -1) of the inputs must be defined, got " +
                       shape_str(input_shape));
  kernel_ = add_weight("kernel", {kernel_size_[0], kernel_size_[1], filters_, channels}, options_.kernel_initializer);
  if (options_.use_bias) bias_ = add_weight("bias", {filters_}, options_.bias_initializer);
}

Tensor Conv2DTranspose::call(const Tensor& x, bool) {
  Tensor y = ops::conv2d_transpose(x, kernel_->value(), {output_length(0, x.dim(1)), output_length(1, x.dim(2))},
                                   options_.strides, ops::padding_from_name(options_.padding), options_.dilation_rate);
  if (bias_) y = ops::bias_add(y, bias_->value());
  return ops::activation(y, options_.activation);
}

Shape Conv2DTranspose::compute_output_shape(const Shape& input_shape) const {
  return {input_shape[0], output_length(0, input_shape[1]), output_length(1, input_shape[2]), filters_};
}

}  // namespace cairn
