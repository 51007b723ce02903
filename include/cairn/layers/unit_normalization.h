// UnitNormalization: keras.layers.UnitNormalization, each sample scaled to unit L2 norm over `axis`:
// x * min(1 / sqrt(sum(x^2)), 1e12) (so an all-zero slice stays 0). No weights.
#pragma once

#include "cairn/layers/layer.h"

namespace cairn {

struct UnitNormalizationOptions {
  std::vector<int> axis = {-1};  // one or more axes (negative counts from the end)
  std::string name{};
};

class UnitNormalization : public Layer {
 public:
  explicit UnitNormalization(UnitNormalizationOptions options = {});
  const std::vector<int>& axis() const { return options_.axis; }
  bool supports_masking() const override { return true; }  // the mask passes through, as Keras
  Shape compute_output_shape(const Shape& input_shape) const override;

 protected:
  Tensor call(const Tensor& x, bool training) override;
  void check_input(const Shape& input_shape) const override;

 private:
  UnitNormalizationOptions options_;
};

inline std::shared_ptr<UnitNormalization> make_unit_normalization(UnitNormalizationOptions options = {}) {
  return std::make_shared<UnitNormalization>(std::move(options));
}

}  // namespace cairn
