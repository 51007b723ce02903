// The output masks of the merge layers, computed from their inputs' masks as Keras 3 does (float32,
// 1 where a step counts; undefined: no mask). Defined in merge.cc.
#pragma once

#include <string>
#include <vector>

#include "cairn/tensor.h"

namespace cairn::merge_masks {

// Add, Subtract, Multiply, Average, Maximum, Minimum (Keras's base Merge): no mask unless every input has
// one; then a step counts where it counts in any input (their logical or, broadcast as numpy's).
Tensor elementwise(const std::vector<Tensor>& masks);

// Concatenate: each input's mask spread over the input's shape (all ones for an input without one),
// concatenated along `axis` and reduced with "any" over the last axis. Along the feature axis that is the
// logical or of the masks (ones once an input has none); along the steps, the masks one after the other.
Tensor concatenated(const std::vector<Tensor>& xs, const std::vector<Tensor>& masks, int axis);

}  // namespace cairn::merge_masks
