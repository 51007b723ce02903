// keras.layers.GlobalAveragePooling1D/2D and GlobalMaxPooling1D/2D: the mean or the maximum over the
// steps (batch, steps, channels) or the pixels (batch, rows, cols, channels) of channels-last inputs,
// giving (batch, channels), or with keepdims the input's rank with those axes of size 1.
#pragma once

#include "cairn/layers/layer.h"

namespace cairn {

class GlobalPooling : public Layer {
 public:
  bool keepdims() const { return keepdims_; }
  Shape compute_output_shape(const Shape& input_shape) const override;

 protected:
  // `spatial_axes` 1 (sequences) or 2 (images); `average` or maximum.
  GlobalPooling(std::string class_name, int spatial_axes, bool average, bool keepdims, std::string name);
  Tensor call(const Tensor& x, bool training) override;
  // Keras's GlobalAveragePooling1D averages over the unmasked steps only; the others ignore masks.
  Tensor call_with_mask(const Tensor& x, const Tensor& mask, bool training) override;
  void check_input(const Shape& input_shape) const override;

 private:
  int spatial_axes_;
  bool average_;
  bool keepdims_;
};

class GlobalAveragePooling1D : public GlobalPooling {
 public:
  explicit GlobalAveragePooling1D(bool keepdims = false, std::string name = "")
      : GlobalPooling("GlobalAveragePooling1D", 1, true, keepdims, std::move(name)) {}
};
class GlobalAveragePooling2D : public GlobalPooling {
 public:
  explicit GlobalAveragePooling2D(bool keepdims = false, std::string name = "")
      : GlobalPooling("GlobalAveragePooling2D", 2, true, keepdims, std::move(name)) {}
};
class GlobalMaxPooling1D : public GlobalPooling {
 public:
  explicit GlobalMaxPooling1D(bool keepdims = false, std::string name = "")
      : GlobalPooling("GlobalMaxPooling1D", 1, false, keepdims, std::move(name)) {}
};
class GlobalMaxPooling2D : public GlobalPooling {
 public:
  explicit GlobalMaxPooling2D(bool keepdims = false, std::string name = "")
      : GlobalPooling("GlobalMaxPooling2D", 2, false, keepdims, std::move(name)) {}
};

}  // namespace cairn
