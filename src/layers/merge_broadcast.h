// The shapes of Keras's elementwise merge layers (Add, Subtract, Multiply, Average, Maximum, Minimum): as
// keras.layers' base Merge, an input of lower rank gets axes of size 1 after its batch axis, and then each
// axis's sizes agree or are 1 (broadcast). Squeeze-and-excitation blocks (EfficientNet, MobileNetV3)
// multiply (batch, 1, 1, channels) by (batch, rows, cols, channels).
#pragma once

#include <string>
#include <vector>

#include "cairn/shape.h"
#include "cairn/tensor.h"

namespace cairn::merge_broadcast {

// The output shape (-1 where unknown), or the reason the shapes do not merge.
struct Merged {
  Shape shape;
  std::string error;  // empty when they merge
};
Merged output_shape(const std::vector<Shape>& input_shapes);

// The inputs at the highest rank among them (axes of size 1 inserted after the batch axis), ready for
// ops' numpy broadcasting.
std::vector<Tensor> at_common_rank(const std::vector<Tensor>& xs);

}  // namespace cairn::merge_broadcast
