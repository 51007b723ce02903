// DepthwiseConv2D: each input channel convolved with its own depth_multiplier filters, as
// keras.layers.DepthwiseConv2D. Kernel (kernel_h, kernel_w, in_channels, depth_multiplier), bias
// (in_channels * depth_multiplier); output channel c * depth_multiplier + m comes from input channel c.
#pragma once

#include <array>

#include "cairn/layers/layer.h"

namespace cairn {

// In the order of keras.layers.DepthwiseConv2D's arguments after kernel_size.
struct DepthwiseConv2DOptions {
  std::array<int, 2> strides = {1, 1};
  std::string padding = "valid";  // "valid" or "same" (TensorFlow's padding), case-insensitive
  int depth_multiplier = 1;
  std::array<int, 2> dilation_rate = {1, 1};
  std::string activation = "linear";
  bool use_bias = true;
  InitializerPtr depthwise_initializer = glorot_uniform();
  InitializerPtr bias_initializer = zeros();
  std::string name{};
  std::optional<uint64_t> seed{};  // seeds the layer's stream; otherwise taken from set_random_seed
};

class DepthwiseConv2D : public Layer {
 public:
  explicit DepthwiseConv2D(std::array<int, 2> kernel_size, DepthwiseConv2DOptions options = {});
  std::array<int, 2> kernel_size() const { return kernel_size_; }
  std::array<int, 2> strides() const { return options_.strides; }
  const std::string& padding() const { return options_.padding; }  // lower case
  int depth_multiplier() const { return options_.depth_multiplier; }
  std::array<int, 2> dilation_rate() const { return options_.dilation_rate; }
  const std::string& activation() const { return options_.activation; }
  bool use_bias() const { return options_.use_bias; }
  const DepthwiseConv2DOptions& options() const { return options_; }
  const VariablePtr& kernel() const { return kernel_; }
  const VariablePtr& bias() const { return bias_; }
  Shape compute_output_shape(const Shape& input_shape) const override;
  // Keras 3 calls the kernel "kernel"; tf.keras 2, whose layout TensorFlow checkpoints follow,
  // "depthwise_kernel".
  std::vector<KerasWeightPath> keras_weight_paths() const override;

 protected:
  void build_impl(const Shape& input_shape) override;
  Tensor call(const Tensor& x, bool training) override;
  void check_input(const Shape& input_shape) const override;

 private:
  std::array<int, 2> kernel_size_;
  DepthwiseConv2DOptions options_;
  VariablePtr kernel_, bias_;
};

inline std::shared_ptr<DepthwiseConv2D> make_depthwise_conv2d(std::array<int, 2> kernel_size,
                                                              DepthwiseConv2DOptions options = {}) {
  return std::make_shared<DepthwiseConv2D>(kernel_size, std::move(options));
}

}  // namespace cairn
