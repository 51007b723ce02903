// Masking: keras.layers.Masking. The timesteps whose features all equal mask_value are masked: their
// output is zeros, and the output's mask (Layer::MaskedOutput) tells the layers after it, as the
// recurrent layers, to skip them.
#pragma once

#include "cairn/layers/layer.h"

namespace cairn {

class Masking : public Layer {
 public:
  explicit Masking(double mask_value = 0.0, std::string name = "");
  double mask_value() const { return mask_value_; }
  Shape compute_output_shape(const Shape& input_shape) const override { return input_shape; }

 protected:
  Tensor call(const Tensor& x, bool training) override;
  Tensor compute_mask(const Tensor& x, const Tensor& mask) const override;
  void check_input(const Shape& input_shape) const override;

 private:
  double mask_value_;
};

inline std::shared_ptr<Masking> make_masking(double mask_value = 0.0, std::string name = "") {
  return std::make_shared<Masking>(mask_value, std::move(name));
}

}  // namespace cairn
