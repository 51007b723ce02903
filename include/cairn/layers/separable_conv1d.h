// SeparableConv1D: a depthwise convolution of a sequence (each input channel with its own
// depth_multiplier filters) followed by a pointwise (size 1) convolution to `filters` channels, as
// keras.layers.SeparableConv1D. Weights depthwise_kernel (kernel_size, in_channels, depth_multiplier),
// pointwise_kernel (1, in_channels * depth_multiplier, filters), bias (filters).
#pragma once

#include "cairn/layers/layer.h"

namespace cairn {

// In the order of keras.layers.SeparableConv1D's arguments after filters and kernel_size.
struct SeparableConv1DOptions {
  int strides = 1;
  std::string padding = "valid";  // "valid" or "same" (TensorFlow's padding), case-insensitive
  int dilation_rate = 1;
  int depth_multiplier = 1;
  std::string activation = "linear";
  bool use_bias = true;
  InitializerPtr depthwise_initializer = glorot_uniform();
  InitializerPtr pointwise_initializer = glorot_uniform();
  InitializerPtr bias_initializer = zeros();
  std::string name{};
  std::optional<uint64_t> seed{};  // seeds the layer's stream; otherwise taken from set_random_seed
};

class SeparableConv1D : public Layer {
 public:
  SeparableConv1D(int64_t filters, int kernel_size, SeparableConv1DOptions options = {});
  int64_t filters() const { return filters_; }
  int kernel_size() const { return kernel_size_; }
  int strides() const { return options_.strides; }
  const std::string& padding() const { return options_.padding; }  // lower case
  int dilation_rate() const { return options_.dilation_rate; }
  int depth_multiplier() const { return options_.depth_multiplier; }
  const std::string& activation() const { return options_.activation; }
  bool use_bias() const { return options_.use_bias; }
  const SeparableConv1DOptions& options() const { return options_; }
  const VariablePtr& depthwise_kernel() const { return depthwise_kernel_; }
  const VariablePtr& pointwise_kernel() const { return pointwise_kernel_; }
  const VariablePtr& bias() const { return bias_; }
  Shape compute_output_shape(const Shape& input_shape) const override;

 protected:
  void build_impl(const Shape& input_shape) override;
  Tensor call(const Tensor& x, bool training) override;
  void check_input(const Shape& input_shape) const override;

 private:
  int window() const;  // the dilated kernel's extent
  int64_t filters_;
  int kernel_size_;
  SeparableConv1DOptions options_;
  VariablePtr depthwise_kernel_, pointwise_kernel_, bias_;
};

inline std::shared_ptr<SeparableConv1D> make_separable_conv1d(int64_t filters, int kernel_size,
                                                              SeparableConv1DOptions options = {}) {
  return std::make_shared<SeparableConv1D>(filters, kernel_size, std::move(options));
}

}  // namespace cairn
