// DepthwiseConv1D: each input channel of a sequence convolved with its own depth_multiplier filters, as
// keras.layers.DepthwiseConv1D. Kernel (kernel_size, in_channels, depth_multiplier), bias
// (in_channels * depth_multiplier); output channel c * depth_multiplier + m comes from input channel c.
#pragma once

#include "cairn/layers/layer.h"

namespace cairn {

// In the order of keras.layers.DepthwiseConv1D's arguments after kernel_size.
struct DepthwiseConv1DOptions {
  int strides = 1;
  std::string padding = "valid";  // "valid" or "same" (TensorFlow's padding), case-insensitive
  int depth_multiplier = 1;
  int dilation_rate = 1;
  std::string activation = "linear";
  bool use_bias = true;
  InitializerPtr depthwise_initializer = glorot_uniform();
  InitializerPtr bias_initializer = zeros();
  std::string name{};
  std::optional<uint64_t> seed{};  // seeds the layer's stream; otherwise taken from set_random_seed
};

class DepthwiseConv1D : public Layer {
 public:
  explicit DepthwiseConv1D(int kernel_size, DepthwiseConv1DOptions options = {});
  int kernel_size() const { return kernel_size_; }
  int strides() const { return options_.strides; }
  const std::string& padding() const { return options_.padding; }  // lower case
  int depth_multiplier() const { return options_.depth_multiplier; }
  int dilation_rate() const { return options_.dilation_rate; }
  const std::string& activation() const { return options_.activation; }
  bool use_bias() const { return options_.use_bias; }
  const DepthwiseConv1DOptions& options() const { return options_; }
  const VariablePtr& kernel() const { return kernel_; }
  const VariablePtr& bias() const { return bias_; }
  Shape compute_output_shape(const Shape& input_shape) const override;
  std::vector<KerasWeightPath> keras_weight_paths() const override;

 protected:
  void build_impl(const Shape& input_shape) override;
  Tensor call(const Tensor& x, bool training) override;
  void check_input(const Shape& input_shape) const override;

 private:
  int window() const;  // the dilated kernel's extent
  int kernel_size_;
  DepthwiseConv1DOptions options_;
  VariablePtr kernel_, bias_;
};

inline std::shared_ptr<DepthwiseConv1D> make_depthwise_conv1d(int kernel_size, DepthwiseConv1DOptions options = {}) {
  return std::make_shared<DepthwiseConv1D>(kernel_size, std::move(options));
}

}  // namespace cairn
