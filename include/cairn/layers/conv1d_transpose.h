// Conv1DTranspose: y = activation(conv1d_transpose(x, kernel) + bias), as keras.layers.Conv1DTranspose
// (the gradient of a Conv1D with respect to its input, which upsamples by the stride). Kernel
// (kernel_size, filters, in_channels), bias (filters); input (batch, steps, channels).
#pragma once

#include <optional>

#include "cairn/layers/layer.h"

namespace cairn {

// In the order of keras.layers.Conv1DTranspose's arguments after filters and kernel_size.
struct Conv1DTransposeOptions {
  int strides = 1;
  std::string padding = "valid";  // "valid" or "same", case-insensitive
  // Extra steps at the end of the output, below the stride; unset: Keras's default length (steps * stride
  // for 'same', (steps - 1) * stride + max(kernel, stride) for 'valid').
  std::optional<int> output_padding{};
  int dilation_rate = 1;  // only with strides 1, as Keras
  std::string activation = "linear";
  bool use_bias = true;
  InitializerPtr kernel_initializer = glorot_uniform();
  InitializerPtr bias_initializer = zeros();
  std::string name{};
  std::optional<uint64_t> seed{};  // seeds the layer's stream; otherwise taken from set_random_seed
};

class Conv1DTranspose : public Layer {
 public:
  Conv1DTranspose(int64_t filters, int kernel_size, Conv1DTransposeOptions options = {});
  int64_t filters() const { return filters_; }
  int kernel_size() const { return kernel_size_; }
  int strides() const { return options_.strides; }
  const std::string& padding() const { return options_.padding; }  // lower case
  const std::optional<int>& output_padding() const { return options_.output_padding; }
  int dilation_rate() const { return options_.dilation_rate; }
  const std::string& activation() const { return options_.activation; }
  bool use_bias() const { return options_.use_bias; }
  const Conv1DTransposeOptions& options() const { return options_; }
  const VariablePtr& kernel() const { return kernel_; }
  const VariablePtr& bias() const { return bias_; }
  Shape compute_output_shape(const Shape& input_shape) const override;

 protected:
  void build_impl(const Shape& input_shape) override;
  Tensor call(const Tensor& x, bool training) override;
  void check_input(const Shape& input_shape) const override;

 private:
  int64_t output_length(int64_t input_length) const;  // Keras's
  int64_t filters_;
  int kernel_size_;
  Conv1DTransposeOptions options_;
  VariablePtr kernel_, bias_;
};

inline std::shared_ptr<Conv1DTranspose> make_conv1d_transpose(int64_t filters, int kernel_size,
                                                              Conv1DTransposeOptions options = {}) {
  return std::make_shared<Conv1DTranspose>(filters, kernel_size, std::move(options));
}

}  // namespace cairn
