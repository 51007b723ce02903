// Dot: keras.layers.Dot, the dot product of two inputs along one axis of each (batch_dot): the output is
// the first input's shape without its axis, then the second's without its batch axis and its axis, and
// (batch, 1) when nothing else is left. With normalize, each input is first L2-normalized along its axis
// (x * min(1 / |x|, 1e7), Keras's), so that the output is the cosine similarity.
#pragma once

#include <array>

#include "cairn/layers/layer.h"

namespace cairn {

class Dot : public Layer {
 public:
  // The same axis of both inputs (Keras's `axes=1`); negative axes count from each input's end.
  explicit Dot(int axes, bool normalize = false, std::string name = "");
  // axes[0] of the first input with axes[1] of the second (Keras's `axes=(1, 2)`).
  explicit Dot(std::array<int, 2> axes, bool normalize = false, std::string name = "");
  // One element when the layer was given one axis for both inputs, two otherwise (as Keras's config).
  const std::vector<int>& axes() const { return axes_; }
  bool normalize() const { return normalize_; }
  Shape compute_output_shape(const Shape& input_shape) const override;
  Shape compute_output_shape(const std::vector<Shape>& input_shapes) const override;

 protected:
  Tensor call(const Tensor& x, bool training) override;
  Tensor call_multi(const std::vector<Tensor>& xs, bool training) override;
  void build_multi(const std::vector<Shape>& input_shapes) override;

 private:
  // The two inputs' axes as non-negative indices, after checking both shapes.
  std::array<int, 2> resolved_axes(const std::vector<Shape>& input_shapes) const;
  std::vector<int> axes_;
  bool normalize_;
};

}  // namespace cairn
