// MaxPooling2D: the maximum over each pool_size window of channels-last images, as
// keras.layers.MaxPooling2D (TensorFlow's 'same'/'valid' padding; padded positions never win).
#pragma once

#include "cairn/layers/pooling.h"

namespace cairn {

struct MaxPooling2DOptions {
  std::optional<std::array<int, 2>> strides{};  // pool_size when unset
  std::string padding = "valid";                // "valid" or "same", case-insensitive
  std::string name{};
};

class MaxPooling2D : public Pooling2D {
 public:
  explicit MaxPooling2D(std::array<int, 2> pool_size = {2, 2}, MaxPooling2DOptions options = {})
      : Pooling2D(PoolingReduction::max, "MaxPooling2D", pool_size, options.strides, options.padding,
                  options.name) {}
};

// std::make_shared cannot forward a braced options list; this factory can: make_max_pooling2d({2, 2}, {.padding = "same"}).
inline std::shared_ptr<MaxPooling2D> make_max_pooling2d(std::array<int, 2> pool_size = {2, 2},
                                                        MaxPooling2DOptions options = {}) {
  return std::make_shared<MaxPooling2D>(pool_size, std::move(options));
}

}  // namespace cairn
