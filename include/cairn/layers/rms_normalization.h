// RMSNormalization: keras.layers.RMSNormalization, x / sqrt(mean(x^2 over `axis`) + epsilon) * scale,
// the weight `scale` (ones at first) of the normalized axes' shape. cairn's axes are the input's last ones
// (-1 by default), over which Keras's scale broadcasts.
#pragma once

#include "cairn/layers/layer.h"

namespace cairn {

// In the order of keras.layers.RMSNormalization's arguments.
struct RMSNormalizationOptions {
  std::vector<int> axis = {-1};  // the last axis, or the last few (negative counts from the end)
  double epsilon = 1e-6;
  std::string name{};
};

class RMSNormalization : public Layer {
 public:
  explicit RMSNormalization(RMSNormalizationOptions options = {});
  const RMSNormalizationOptions& options() const { return options_; }
  const VariablePtr& scale() const { return scale_; }
  Shape compute_output_shape(const Shape& input_shape) const override { return input_shape; }

 protected:
  void build_impl(const Shape& input_shape) override;
  Tensor call(const Tensor& x, bool training) override;
  void check_input(const Shape& input_shape) const override;

 private:
  std::vector<int> sorted_axes(int rank) const;  // non-negative, ascending
  RMSNormalizationOptions options_;
  VariablePtr scale_;
};

inline std::shared_ptr<RMSNormalization> make_rms_normalization(RMSNormalizationOptions options = {}) {
  return std::make_shared<RMSNormalization>(std::move(options));
}

}  // namespace cairn
