// LayerScale: keras.applications.convnext's LayerScale (and tf-keras's), x * gamma with one trainable
// scale per feature of the last axis (`projection_dim` of them, all `init_values` at first). ConvNeXt
// scales each block's residual branch with it, so every ConvNeXt model file holds it (Keras writes it
// as class "LayerScale" of module keras.src.applications.convnext).
#pragma once

#include "cairn/layers/layer.h"

namespace cairn {

class LayerScale : public Layer {
 public:
  LayerScale(double init_values, int64_t projection_dim, std::string name = "");
  double init_values() const { return init_values_; }
  int64_t projection_dim() const { return projection_dim_; }
  const VariablePtr& gamma() const { return gamma_; }
  Shape compute_output_shape(const Shape& input_shape) const override { return input_shape; }

 protected:
  void build_impl(const Shape& input_shape) override;
  Tensor call(const Tensor& x, bool training) override;
  void check_input(const Shape& input_shape) const override;

 private:
  double init_values_;
  int64_t projection_dim_;
  VariablePtr gamma_;
};

}  // namespace cairn
