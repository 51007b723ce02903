// The maximum that TensorFlow's Maximum, MaxPool and reduce_max compute: NaN when either operand is
// NaN. std::max(a, b) and `b > a ? b : a` silently drop a NaN in one of the two positions, turning a
// NaN input into a number.
#pragma once

namespace cairn::kernels {

// Compiles to a compare, an unordered compare and a blend: it vectorizes like std::max.
inline float max_propagating_nan(float a, float b) { return (a > b || a != a) ? a : b; }

}  // namespace cairn::kernels
