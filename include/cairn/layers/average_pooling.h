// AveragePooling1D and AveragePooling2D: the mean over each pool_size window of channels-last sequences
// (batch, steps, channels) or images (batch, rows, cols, channels), as keras.layers' (TensorFlow's 'same'
// windows average only the positions inside the input).
#pragma once

#include <array>

#include "cairn/layers/pooling.h"

namespace cairn {

struct AveragePooling1DOptions {
  std::optional<int> strides{};   // pool_size when unset
  std::string padding = "valid";  // "valid" or "same", case-insensitive
  std::string name{};
};

class AveragePooling1D : public Pooling1D {
 public:
  explicit AveragePooling1D(int pool_size = 2, AveragePooling1DOptions options = {})
      : Pooling1D(PoolingReduction::average, "AveragePooling1D", pool_size, options.strides, options.padding,
                  options.name) {}
};

struct AveragePooling2DOptions {
  std::optional<std::array<int, 2>> strides{};  // pool_size when unset
  std::string padding = "valid";                // "valid" or "same", case-insensitive
  std::string name{};
};

class AveragePooling2D : public Pooling2D {
 public:
  explicit AveragePooling2D(std::array<int, 2> pool_size = {2, 2}, AveragePooling2DOptions options = {})
      : Pooling2D(PoolingReduction::average, "AveragePooling2D", pool_size, options.strides, options.padding,
                  options.name) {}
};

}  // namespace cairn
