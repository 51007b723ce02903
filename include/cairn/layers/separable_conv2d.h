// SeparableConv2D: a depthwise convolution (each input channel with its own depth_multiplier filters)
// followed by a pointwise (1x1) convolution to `filters` channels, as keras.layers.SeparableConv2D.
// Weights depthwise_kernel (kernel_h, kernel_w, in_channels, depth_multiplier), pointwise_kernel
// (1, 1, in_channels * depth_multiplier, filters), bias (filters).
#pragma once

#include <array>

#include "cairn/layers/layer.h"

namespace cairn {

// In the order of keras.layers.SeparableConv2D's arguments after filters and kernel_size.
struct SeparableConv2DOptions {
  std::array<int, 2> strides = {1, 1};
  std::string padding = "valid";  // "valid" or "same" (TensorFlow's padding), case-insensitive
  std::array<int, 2> dilation_rate = {1, 1};
  int depth_multiplier = 1;
  std::string activation = "linear";
  bool use_bias = true;
  InitializerPtr depthwise_initializer = glorot_uniform();
  InitializerPtr pointwise_initializer = glorot_uniform();
  InitializerPtr bias_initializer = zeros();
  std::string name{};
  std::optional<uint64_t> seed{};  // seeds the layer's stream; otherwise taken from set_random_seed
};

class SeparableConv2D : public Layer {
 public:
  SeparableConv2D(int64_t filters, std::array<int, 2> kernel_size, SeparableConv2DOptions options = {});
  int64_t filters() const { return filters_; }
  std::array<int, 2> kernel_size() const { return kernel_size_; }
  std::array<int, 2> strides() const { return options_.strides; }
  const std::string& padding() const { return options_.padding; }  // lower case
  std::array<int, 2> dilation_rate() const { return options_.dilation_rate; }
  int depth_multiplier() const { return options_.depth_multiplier; }
  const std::string& activation() const { return options_.activation; }
  bool use_bias() const { return options_.use_bias; }
  const SeparableConv2DOptions& options() const { return options_; }
  const VariablePtr& depthwise_kernel() const { return depthwise_kernel_; }
  const VariablePtr& pointwise_kernel() const { return pointwise_kernel_; }
  const VariablePtr& bias() const { return bias_; }
  Shape compute_output_shape(const Shape& input_shape) const override;

 protected:
  void build_impl(const Shape& input_shape) override;
  Tensor call(const Tensor& x, bool training) override;
  void check_input(const Shape& input_shape) const override;

 private:
  int64_t filters_;
  std::array<int, 2> kernel_size_;
  SeparableConv2DOptions options_;
  VariablePtr depthwise_kernel_, pointwise_kernel_, bias_;
};

inline std::shared_ptr<SeparableConv2D> make_separable_conv2d(int64_t filters, std::array<int, 2> kernel_size,
                                                              SeparableConv2DOptions options = {}) {
  return std::make_shared<SeparableConv2D>(filters, kernel_size, std::move(options));
}

}  // namespace cairn
