// Pooling1D and Pooling2D: what MaxPooling1D/2D and AveragePooling1D/2D share, the windowed maximum or
// mean over channels-last sequences (batch, steps, channels) or images (batch, rows, cols, channels) with
// TensorFlow's 'same'/'valid' padding. The concrete layers only choose the reduction and the class name.
#pragma once

#include <array>
#include <optional>
#include <string>

#include "cairn/layers/layer.h"

namespace cairn {

enum class PoolingReduction { max, average };

class Pooling1D : public Layer {
 public:
  int pool_size() const { return pool_size_; }
  int strides() const { return strides_; }
  const std::string& padding() const { return padding_; }  // lower case
  Shape compute_output_shape(const Shape& input_shape) const override;

 protected:
  // class_name ("MaxPooling1D") is the layer's Keras class, which its error messages begin with.
  Pooling1D(PoolingReduction reduction, const std::string& class_name, int pool_size, std::optional<int> strides,
            const std::string& padding, const std::string& name);
  Tensor call(const Tensor& x, bool training) override;
  void check_input(const Shape& input_shape) const override;

 private:
  PoolingReduction reduction_;
  int pool_size_, strides_;
  std::string padding_;
};

class Pooling2D : public Layer {
 public:
  std::array<int, 2> pool_size() const { return pool_size_; }
  std::array<int, 2> strides() const { return strides_; }
  const std::string& padding() const { return padding_; }  // lower case
  Shape compute_output_shape(const Shape& input_shape) const override;

 protected:
  // class_name ("MaxPooling2D") is the layer's Keras class, which its error messages begin with.
  Pooling2D(PoolingReduction reduction, const std::string& class_name, std::array<int, 2> pool_size,
            std::optional<std::array<int, 2>> strides, const std::string& padding, const std::string& name);
  Tensor call(const Tensor& x, bool training) override;
  void check_input(const Shape& input_shape) const override;

 private:
  PoolingReduction reduction_;
  std::array<int, 2> pool_size_, strides_;
  std::string padding_;
};

}  // namespace cairn
