// Flatten: (batch, d1, d2, ...) -> (batch, d1*d2*...).
#pragma once

#include "cairn/layers/layer.h"

namespace cairn {

class Flatten : public Layer {
 public:
  explicit Flatten(std::string name = "");
  Shape compute_output_shape(const Shape& input_shape) const override;

 protected:
  Tensor call(const Tensor& x, bool training) override;
  void check_input(const Shape& input_shape) const override;
};

// The factory of the same style as make_dense, for models written with one kind of call.
inline std::shared_ptr<Flatten> make_flatten(std::string name = "") { return std::make_shared<Flatten>(std::move(name)); }

}  // namespace cairn
