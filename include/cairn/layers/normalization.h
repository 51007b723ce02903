// Normalization: keras.layers.Normalization, (x - mean) / max(sqrt(variance), 1e-7) with a mean and a
// variance for each position of the kept axes (the others are reduced over), given as arguments or
// computed from data by adapt(). Adapted statistics are non-trainable weights in Keras's order and
// dtypes: mean and variance (float32, the kept axes' shape) and count (int64 scalar, which Keras 3 keeps
// at 0); given ones are part of the config and no weights. invert computes mean + x * max(sqrt(variance),
// 1e-7) instead.
#pragma once

#include "cairn/layers/layer.h"

namespace cairn {

// In the order of keras.layers.Normalization's arguments.
struct NormalizationOptions {
  // The axes that keep their own statistics (-1: each feature); empty: one mean and variance for all.
  std::vector<int> axis = {-1};
  // Both or neither: a scalar, or the trailing kept axes' shape (a 1 broadcasts), as Keras takes them;
  // any floating dtype (kept as given for the config, computed with in float32).
  Tensor mean, variance;
  bool invert = false;
  std::string name;
};

class Normalization : public Layer {
 public:
  explicit Normalization(NormalizationOptions options = {});
  const NormalizationOptions& options() const { return options_; }
  // Computes the mean and the biased variance of `data` (batch first) over the reduced axes and keeps
  // them in the mean and variance weights; builds the layer from data's shape first when needed.
  void adapt(const Tensor& data);
  const VariablePtr& adapted_mean() const { return mean_; }          // null with a given mean
  const VariablePtr& adapted_variance() const { return variance_; }  // null with a given variance
  Shape compute_output_shape(const Shape& input_shape) const override { return input_shape; }
  bool supports_masking() const override { return true; }  // the mask passes through, as Keras

 protected:
  void build_impl(const Shape& input_shape) override;
  Tensor call(const Tensor& x, bool training) override;
  void check_input(const Shape& input_shape) const override;

 private:
  // The kept axes of an input of this rank, as sorted non-negative indices.
  std::vector<int> kept_axes(int rank) const;
  // mean or variance shaped to broadcast against the input (1 on the reduced axes).
  Tensor broadcastable(const Tensor& statistic) const;
  NormalizationOptions options_;
  Tensor given_mean_, given_variance_;  // the options' statistics as float32
  VariablePtr mean_, variance_, count_;
  Shape broadcast_shape_;  // the input's rank, the kept axes' sizes and 1 elsewhere
};

inline std::shared_ptr<Normalization> make_normalization(NormalizationOptions options = {}) {
  return std::make_shared<Normalization>(std::move(options));
}

}  // namespace cairn
