// MaxPooling1D: the maximum over each pool_size window of steps of (batch, steps, channels), as
// keras.layers.MaxPooling1D (TensorFlow's 'same'/'valid' padding; padded positions never win).
#pragma once

#include "cairn/layers/layer.h"

namespace cairn {

struct MaxPooling1DOptions {
  std::optional<int> strides{};   // pool_size when unset
  std::string padding = "valid";  // "valid" or "same", case-insensitive
  std::string name{};
};

class MaxPooling1D : public Layer {
 public:
  explicit MaxPooling1D(int pool_size = 2, MaxPooling1DOptions options = {});
  int pool_size() const { return pool_size_; }
  int strides() const { return strides_; }
  const std::string& padding() const { return padding_; }  // lower case
  Shape compute_output_shape(const Shape& input_shape) const override;

 protected:
  Tensor call(const Tensor& x, bool training) override;
  void check_input(const Shape& input_shape) const override;

 private:
  int pool_size_, strides_;
  std::string padding_;
};

inline std::shared_ptr<MaxPooling1D> make_max_pooling1d(int pool_size = 2, MaxPooling1DOptions options = {}) {
  return std::make_shared<MaxPooling1D>(pool_size, std::move(options));
}

}  // namespace cairn
