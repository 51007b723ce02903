// Conv1D: y = activation(conv1d(x, kernel) + bias) over sequences, as keras.layers.Conv1D. Kernel
// (kernel_size, in_channels / groups, filters), bias (filters); input (batch, steps, channels).
#pragma once

#include "cairn/layers/layer.h"

namespace cairn {

// In the order of keras.layers.Conv1D's arguments after filters and kernel_size.
struct Conv1DOptions {
  int strides = 1;
  // "valid", "same" (TensorFlow's padding) or "causal" (all the padding before: output t sees inputs up
  // to t), case-insensitive
  std::string padding = "valid";
  int dilation_rate = 1;  // atrous convolution; only with strides 1, as Keras
  int groups = 1;         // divides the input channels and the filters
  std::string activation = "linear";
  bool use_bias = true;
  InitializerPtr kernel_initializer = glorot_uniform();
  InitializerPtr bias_initializer = zeros();
  std::string name{};
  std::optional<uint64_t> seed{};  // seeds the layer's stream; otherwise taken from set_random_seed
};

class Conv1D : public Layer {
 public:
  Conv1D(int64_t filters, int kernel_size, Conv1DOptions options = {});
  int64_t filters() const { return filters_; }
  int kernel_size() const { return kernel_size_; }
  int strides() const { return options_.strides; }
  const std::string& padding() const { return options_.padding; }  // lower case
  int dilation_rate() const { return options_.dilation_rate; }
  int groups() const { return options_.groups; }
  const std::string& activation() const { return options_.activation; }
  bool use_bias() const { return options_.use_bias; }
  const Conv1DOptions& options() const { return options_; }
  const VariablePtr& kernel() const { return kernel_; }
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
  Conv1DOptions options_;
  VariablePtr kernel_, bias_;
};

inline std::shared_ptr<Conv1D> make_conv1d(int64_t filters, int kernel_size, Conv1DOptions options = {}) {
  return std::make_shared<Conv1D>(filters, kernel_size, std::move(options));
}

}  // namespace cairn
