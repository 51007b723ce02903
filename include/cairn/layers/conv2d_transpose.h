// Conv2DTranspose: y = activation(conv2d_transpose(x, kernel) + bias), as keras.layers.Conv2DTranspose
// (the gradient of a Conv2D with respect to its input, which upsamples by the strides). Kernel (kernel_h,
// kernel_w, filters, in_channels), bias (filters); input (batch, height, width, channels).
#pragma once

#include <array>
#include <optional>

#include "cairn/layers/layer.h"

namespace cairn {

// In the order of keras.layers.Conv2DTranspose's arguments after filters and kernel_size.
struct Conv2DTransposeOptions {
  std::array<int, 2> strides = {1, 1};
  std::string padding = "valid";  // "valid" or "same", case-insensitive
  // Extra rows and columns at the end of the output, each below its stride; unset: Keras's default size
  // (height * stride for 'same', (height - 1) * stride + max(kernel, stride) for 'valid').
  std::optional<std::array<int, 2>> output_padding{};
  std::array<int, 2> dilation_rate = {1, 1};  // only with strides 1, as Keras
  std::string activation = "linear";
  bool use_bias = true;
  InitializerPtr kernel_initializer = glorot_uniform();
  InitializerPtr bias_initializer = zeros();
  std::string name{};
  std::optional<uint64_t> seed{};  // seeds the layer's stream; otherwise taken from set_random_seed
};

class Conv2DTranspose : public Layer {
 public:
  Conv2DTranspose(int64_t filters, std::array<int, 2> kernel_size, Conv2DTransposeOptions options = {});
  int64_t filters() const { return filters_; }
  std::array<int, 2> kernel_size() const { return kernel_size_; }
  std::array<int, 2> strides() const { return options_.strides; }
  const std::string& padding() const { return options_.padding; }  // lower case
  const std::optional<std::array<int, 2>>& output_padding() const { return options_.output_padding; }
  std::array<int, 2> dilation_rate() const { return options_.dilation_rate; }
  const std::string& activation() const { return options_.activation; }
  bool use_bias() const { return options_.use_bias; }
  const Conv2DTransposeOptions& options() const { return options_; }
  const VariablePtr& kernel() const { return kernel_; }
  const VariablePtr& bias() const { return bias_; }
  Shape compute_output_shape(const Shape& input_shape) const override;

 protected:
  void build_impl(const Shape& input_shape) override;
  Tensor call(const Tensor& x, bool training) override;
  void check_input(const Shape& input_shape) const override;

 private:
  int64_t output_length(int axis, int64_t input_length) const;  // Keras's size along spatial axis 0 or 1
  std::optional<int> output_padding_at(int axis) const;
  int64_t filters_;
  std::array<int, 2> kernel_size_;
  Conv2DTransposeOptions options_;
  VariablePtr kernel_, bias_;
};

inline std::shared_ptr<Conv2DTranspose> make_conv2d_transpose(int64_t filters, std::array<int, 2> kernel_size,
                                                              Conv2DTransposeOptions options = {}) {
  return std::make_shared<Conv2DTranspose>(filters, kernel_size, std::move(options));
}

}  // namespace cairn
