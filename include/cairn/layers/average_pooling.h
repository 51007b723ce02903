// AveragePooling1D and AveragePooling2D: the mean over each pool_size window of channels-last sequences
// (batch, steps, channels) or images (batch, rows, cols, channels), as keras.layers' (TensorFlow's 'same'
// windows average only the positions inside the input).
#pragma once

#include <array>

#include "cairn/layers/layer.h"

namespace cairn {

struct AveragePooling1DOptions {
  std::optional<int> strides{};   // pool_size when unset
  std::string padding = "valid";  // "valid" or "same", case-insensitive
  std::string name{};
};

class AveragePooling1D : public Layer {
 public:
  explicit AveragePooling1D(int pool_size = 2, AveragePooling1DOptions options = {});
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

struct AveragePooling2DOptions {
  std::optional<std::array<int, 2>> strides{};  // pool_size when unset
  std::string padding = "valid";                // "valid" or "same", case-insensitive
  std::string name{};
};

class AveragePooling2D : public Layer {
 public:
  explicit AveragePooling2D(std::array<int, 2> pool_size = {2, 2}, AveragePooling2DOptions options = {});
  std::array<int, 2> pool_size() const { return pool_size_; }
  std::array<int, 2> strides() const { return strides_; }
  const std::string& padding() const { return padding_; }  // lower case
  Shape compute_output_shape(const Shape& input_shape) const override;

 protected:
  Tensor call(const Tensor& x, bool training) override;
  void check_input(const Shape& input_shape) const override;

 private:
  std::array<int, 2> pool_size_, strides_;
  std::string padding_;
};

}  // namespace cairn
