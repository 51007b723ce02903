// Argument checks and output shapes shared by the layers over channels-last images (Conv2D, MaxPooling2D).
#pragma once

#include <algorithm>
#include <array>
#include <cctype>
#include <string>

#include "cairn/error.h"
#include "cairn/ops.h"
#include "cairn/shape.h"
#include "cairn/internal/tensor/window.h"

namespace cairn::detail {

inline std::string pair_str(std::array<int, 2> v) {
  std::string s = "(";  // built up in steps: GCC 12 warns wrongly (-Wrestrict) about "(" + std::string
  s += std::to_string(v[0]) + ", " + std::to_string(v[1]) + ")";
  return s;
}

// Keras's check of kernel_size, strides and pool_size: two strictly positive integers.
inline void require_positive_pair(const std::string& layer, const char* argument, std::array<int, 2> value) {
  if (value[0] <= 0 || value[1] <= 0)
    throw InvalidArgument(layer + ": the `" + argument +
                          "` argument must be a tuple of 2 strictly positive integers, got " +
                          pair_str(value));
}

// "same" or "valid" in lower case; InvalidArgument naming the layer and the argument otherwise.
inline std::string normalize_padding(const std::string& layer, const std::string& padding) {
  std::string lower = padding;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  if (lower != "same" && lower != "valid")
    throw InvalidArgument(layer + ": the `padding` argument must be \"valid\" or \"same\", got \"" + padding +
                          "\"");
  return lower;
}

// The spatial output size along one axis; unknown (negative) input sizes stay unknown.
inline int64_t spatial_output(int64_t in, int window, int stride, const std::string& padding) {
  return in < 0 ? -1 : kernels::window_axis(in, window, stride, padding == "same").out;
}

// Whether a known 'valid' input is smaller than the window (TensorFlow's negative output size).
inline bool window_exceeds_input(const Shape& input, std::array<int, 2> window, const std::string& padding) {
  return padding == "valid" &&
         ((input[1] >= 0 && input[1] < window[0]) || (input[2] >= 0 && input[2] < window[1]));
}

}  // namespace cairn::detail
