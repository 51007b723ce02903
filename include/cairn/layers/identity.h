// Identity: keras.layers.Identity, a placeholder layer that returns its input (and passes its mask on).
#pragma once

#include "cairn/layers/layer.h"

namespace cairn {

class Identity : public Layer {
 public:
  explicit Identity(std::string name = "") : Layer("Identity", std::move(name)) {}
  bool supports_masking() const override { return true; }
  Shape compute_output_shape(const Shape& input_shape) const override { return input_shape; }

 protected:
  Tensor call(const Tensor& x, bool) override { return x; }
};

inline std::shared_ptr<Identity> make_identity(std::string name = "") { return std::make_shared<Identity>(std::move(name)); }

}  // namespace cairn
