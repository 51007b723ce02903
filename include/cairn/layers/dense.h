// Dense: y = activation(x @ kernel + bias), kernel (in, units), as keras.layers.Dense.
#pragma once

#include "cairn/layers/layer.h"

namespace cairn {

struct DenseOptions {
  std::string activation = "linear";
  bool use_bias = true;
  InitializerPtr kernel_initializer = glorot_uniform();
  InitializerPtr bias_initializer = zeros();
  std::string name;
  std::optional<uint64_t> seed;  // seeds the layer's stream; otherwise taken from set_random_seed
};

class Dense : public Layer {
 public:
  bool supports_masking() const override { return true; }  // the mask passes through, as Keras
  explicit Dense(int64_t units, DenseOptions options = {});
  int64_t units() const { return units_; }
  const std::string& activation() const { return options_.activation; }
  bool use_bias() const { return options_.use_bias; }
  const DenseOptions& options() const { return options_; }
  const VariablePtr& kernel() const { return kernel_; }
  const VariablePtr& bias() const { return bias_; }
  Shape compute_output_shape(const Shape& input_shape) const override;

 protected:
  void build_impl(const Shape& input_shape) override;
  Tensor call(const Tensor& x, bool training) override;
  void check_input(const Shape& input_shape) const override;

 private:
  int64_t units_;
  DenseOptions options_;
  VariablePtr kernel_, bias_;
};

// std::make_shared cannot forward a braced options list; this factory can: make_dense(512, {.activation = "relu"}).
inline std::shared_ptr<Dense> make_dense(int64_t units, DenseOptions options = {}) {
  return std::make_shared<Dense>(units, std::move(options));
}

}  // namespace cairn
