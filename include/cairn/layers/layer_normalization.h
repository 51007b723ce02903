// LayerNormalization: keras.layers.LayerNormalization over the last axis: each sample's features are
// normalized with their own mean and (biased) variance, then scaled by gamma and shifted by beta
// (weights in Keras's order: gamma, beta).
#pragma once

#include "cairn/layers/layer.h"

namespace cairn {

// In the order of keras.layers.LayerNormalization's arguments.
struct LayerNormalizationOptions {
  int axis = -1;  // only the last axis (-1, or its positive index)
  double epsilon = 1e-3;
  bool center = true;  // has beta
  bool scale = true;   // has gamma
  InitializerPtr beta_initializer = zeros();
  InitializerPtr gamma_initializer = ones();
  std::string name;
};

class LayerNormalization : public Layer {
 public:
  bool supports_masking() const override { return true; }  // the mask passes through, as Keras
  explicit LayerNormalization(LayerNormalizationOptions options = {});
  const LayerNormalizationOptions& options() const { return options_; }
  const VariablePtr& gamma() const { return gamma_; }  // null without scale
  const VariablePtr& beta() const { return beta_; }    // null without center
  Shape compute_output_shape(const Shape& input_shape) const override { return input_shape; }

 protected:
  void build_impl(const Shape& input_shape) override;
  Tensor call(const Tensor& x, bool training) override;
  void check_input(const Shape& input_shape) const override;

 private:
  LayerNormalizationOptions options_;
  VariablePtr gamma_, beta_;
};

inline std::shared_ptr<LayerNormalization> make_layer_normalization(LayerNormalizationOptions options = {}) {
  return std::make_shared<LayerNormalization>(std::move(options));
}

}  // namespace cairn
