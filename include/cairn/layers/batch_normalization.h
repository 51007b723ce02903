// BatchNormalization: keras.layers.BatchNormalization over the last axis. In training (and while the
// layer is trainable) it normalizes with the batch's mean and (biased) variance and moves its moving
// statistics toward them: moving = moving * momentum + batch * (1 - momentum); in inference it uses
// the moving statistics. Weights in Keras's order: gamma, beta (trainable), moving_mean,
// moving_variance (non-trainable). Under a mask the batch's moments are those of the unmasked steps.
#pragma once

#include "cairn/layers/layer.h"

namespace cairn {

// In the order of keras.layers.BatchNormalization's arguments.
struct BatchNormalizationOptions {
  int axis = -1;  // only the last axis (-1, or its positive index)
  double momentum = 0.99;
  double epsilon = 1e-3;
  bool center = true;  // has beta
  bool scale = true;   // has gamma
  InitializerPtr beta_initializer = zeros();
  InitializerPtr gamma_initializer = ones();
  InitializerPtr moving_mean_initializer = zeros();
  InitializerPtr moving_variance_initializer = ones();
  std::string name;
};

class BatchNormalization : public Layer {
 public:
  explicit BatchNormalization(BatchNormalizationOptions options = {});
  const BatchNormalizationOptions& options() const { return options_; }
  const VariablePtr& gamma() const { return gamma_; }  // null without scale
  const VariablePtr& beta() const { return beta_; }    // null without center
  const VariablePtr& moving_mean() const { return moving_mean_; }
  const VariablePtr& moving_variance() const { return moving_variance_; }
  Shape compute_output_shape(const Shape& input_shape) const override { return input_shape; }
  bool supports_masking() const override { return true; }  // the mask passes through, as Keras

 protected:
  void build_impl(const Shape& input_shape) override;
  Tensor call(const Tensor& x, bool training) override;
  // With a mask (batch, steps) in training: the moments of the unmasked steps only, as Keras 3.
  Tensor call_with_mask(const Tensor& x, const Tensor& mask, bool training) override;
  void check_input(const Shape& input_shape) const override;

 private:
  void move_statistics(const Tensor& mean, const Tensor& variance);
  Tensor normalize(const Tensor& x, const Tensor& mean, const Tensor& variance) const;
  BatchNormalizationOptions options_;
  VariablePtr gamma_, beta_, moving_mean_, moving_variance_;
};

inline std::shared_ptr<BatchNormalization> make_batch_normalization(BatchNormalizationOptions options = {}) {
  return std::make_shared<BatchNormalization>(std::move(options));
}

}  // namespace cairn
