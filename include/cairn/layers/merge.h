// Layers that merge several inputs in functional models: Concatenate (along an axis) and Add. Their
// output's mask comes from the inputs' masks as in Keras 3 (src/layers/merge_masks.h).
#pragma once

#include "cairn/layers/layer.h"

namespace cairn {

class Concatenate : public Layer {
 public:
  explicit Concatenate(int axis = -1, std::string name = "");
  int axis() const { return axis_; }
  Shape compute_output_shape(const Shape& input_shape) const override { return input_shape; }
  Shape compute_output_shape(const std::vector<Shape>& input_shapes) const override;

 protected:
  Tensor call(const Tensor& x, bool training) override { return x; }
  Tensor call_multi(const std::vector<Tensor>& xs, bool training) override;
  Tensor compute_mask_multi(const std::vector<Tensor>& xs, const std::vector<Tensor>& masks) const override;
  void build_multi(const std::vector<Shape>& input_shapes) override;

 private:
  int axis_;
};

class Add : public Layer {
 public:
  explicit Add(std::string name = "");
  Shape compute_output_shape(const Shape& input_shape) const override { return input_shape; }
  Shape compute_output_shape(const std::vector<Shape>& input_shapes) const override;

 protected:
  Tensor call(const Tensor& x, bool training) override { return x; }
  Tensor call_multi(const std::vector<Tensor>& xs, bool training) override;
  Tensor compute_mask_multi(const std::vector<Tensor>& xs, const std::vector<Tensor>& masks) const override;
  void build_multi(const std::vector<Shape>& input_shapes) override;
};

}  // namespace cairn
