// Conv2D: y = activation(conv2d(x, kernel) + bias) on channels-last images, as keras.layers.Conv2D.
// Kernel (kernel_h, kernel_w, in_channels / groups, filters), bias (filters); input (batch, height, width,
// channels). With groups > 1, filter f sees only the channels of group f / (filters / groups).
#pragma once

#include <array>

#include "cairn/layers/layer.h"

namespace cairn {

struct Conv2DOptions {
  std::array<int, 2> strides = {1, 1};
  std::string padding = "valid";  // "valid" or "same" (TensorFlow's padding), case-insensitive
  std::array<int, 2> dilation_rate = {1, 1};  // atrous convolution; only with strides 1, as Keras
  int groups = 1;                             // divides the input channels and the filters
  std::string activation = "linear";
  bool use_bias = true;
  InitializerPtr kernel_initializer = glorot_uniform();
  InitializerPtr bias_initializer = zeros();
  std::string name{};
  std::optional<uint64_t> seed{};  // seeds the layer's stream; otherwise taken from set_random_seed
};

class Conv2D : public Layer {
 public:
  Conv2D(int64_t filters, std::array<int, 2> kernel_size, Conv2DOptions options = {});
  int64_t filters() const { return filters_; }
  std::array<int, 2> kernel_size() const { return kernel_size_; }
  std::array<int, 2> strides() const { return options_.strides; }
  const std::string& padding() const { return options_.padding; }  // lower case
  std::array<int, 2> dilation_rate() const { return options_.dilation_rate; }
  int groups() const { return options_.groups; }
  const std::string& activation() const { return options_.activation; }
  bool use_bias() const { return options_.use_bias; }
  const Conv2DOptions& options() const { return options_; }  // padding in lower case
  const VariablePtr& kernel() const { return kernel_; }
  const VariablePtr& bias() const { return bias_; }
  Shape compute_output_shape(const Shape& input_shape) const override;

 protected:
  void build_impl(const Shape& input_shape) override;
  Tensor call(const Tensor& x, bool training) override;
  void check_input(const Shape& input_shape) const override;

 private:
  int64_t filters_;
  std::array<int, 2> kernel_size_;
  Conv2DOptions options_;
  VariablePtr kernel_, bias_;
};

// std::make_shared cannot forward a braced options list; this factory can: make_conv2d(32, {3, 3}, {.activation = "relu"}).
inline std::shared_ptr<Conv2D> make_conv2d(int64_t filters, std::array<int, 2> kernel_size, Conv2DOptions options = {}) {
  return std::make_shared<Conv2D>(filters, kernel_size, std::move(options));
}

}  // namespace cairn
