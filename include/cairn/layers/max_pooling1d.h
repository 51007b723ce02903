// MaxPooling1D: the maximum over each pool_size window of steps of (batch, steps, channels), as
// keras.layers.MaxPooling1D (TensorFlow's 'same'/'valid' padding; padded positions never win).
#pragma once

#include "cairn/layers/pooling.h"

namespace cairn {

struct MaxPooling1DOptions {
  std::optional<int> strides{};   // pool_size when unset
  std::string padding = "valid";  // "valid" or "same", case-insensitive
  std::string name{};
};

class MaxPooling1D : public Pooling1D {
 public:
  explicit MaxPooling1D(int pool_size = 2, MaxPooling1DOptions options = {})
      : Pooling1D(PoolingReduction::max, "MaxPooling1D", pool_size, options.strides, options.padding, options.name) {}
};

inline std::shared_ptr<MaxPooling1D> make_max_pooling1d(int pool_size = 2, MaxPooling1DOptions options = {}) {
  return std::make_shared<MaxPooling1D>(pool_size, std::move(options));
}

}  // namespace cairn
