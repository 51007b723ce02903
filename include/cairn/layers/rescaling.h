// Rescaling: y = x * scale + offset, as keras.layers.Rescaling. scale and offset are numbers or arrays
// that broadcast against the input from the right, as numpy (a scale per channel: EfficientNet's
// Rescaling([1 / sqrt(stddev) for each channel]) with ImageNet weights).
#pragma once

#include "cairn/layers/layer.h"

namespace cairn {

class Rescaling : public Layer {
 public:
  bool supports_masking() const override { return true; }  // the mask passes through, as Keras
  explicit Rescaling(double scale, double offset = 0.0, std::string name = "");
  // Arrays of any float dtype (kept as given for the config, computed with in float32); a rank-0 tensor
  // is a number.
  Rescaling(Tensor scale, Tensor offset, std::string name = "");
  const Tensor& scale() const { return scale_; }
  const Tensor& offset() const { return offset_; }
  Shape compute_output_shape(const Shape& input_shape) const override { return input_shape; }

 protected:
  Tensor call(const Tensor& x, bool training) override;
  void check_input(const Shape& input_shape) const override;

 private:
  Tensor scale_, offset_;                  // as given
  Tensor scale_float32_, offset_float32_;  // what call() computes with
};

}  // namespace cairn
