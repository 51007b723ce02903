// Rescaling: y = x * scale + offset, as keras.layers.Rescaling (scalar scale and offset).
#pragma once

#include "cairn/layers/layer.h"

namespace cairn {

class Rescaling : public Layer {
 public:
  bool supports_masking() const override { return true; }  // the mask passes through, as Keras
  explicit Rescaling(double scale, double offset = 0.0, std::string name = "");
  double scale() const { return scale_; }
  double offset() const { return offset_; }
  Shape compute_output_shape(const Shape& input_shape) const override { return input_shape; }

 protected:
  Tensor call(const Tensor& x, bool training) override;

 private:
  double scale_, offset_;
};

}  // namespace cairn
