// Activation: applies a named activation ("relu", "sigmoid", "tanh", "softmax", "linear").
#pragma once

#include "cairn/layers/layer.h"

namespace cairn {

class Activation : public Layer {
 public:
  bool supports_masking() const override { return true; }  // the mask passes through, as Keras
  explicit Activation(std::string activation, std::string name = "");
  const std::string& activation() const { return activation_; }
  Shape compute_output_shape(const Shape& input_shape) const override { return input_shape; }

 protected:
  Tensor call(const Tensor& x, bool training) override;

 private:
  std::string activation_;
};

// The factory of the same style as make_dense, for models written with one kind of call.
inline std::shared_ptr<Activation> make_activation(std::string activation, std::string name = "") {
  return std::make_shared<Activation>(std::move(activation), std::move(name));
}

}  // namespace cairn
