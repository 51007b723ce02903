// Argument checks and output shapes shared by the layers over channels-last images (the convolutions and
// the poolings).
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

// The extent of each axis of a window whose taps are `dilation` apart.
inline std::array<int, 2> dilated_pair(std::array<int, 2> window, std::array<int, 2> dilation) {
  return {static_cast<int>(kernels::dilated_window(window[0], dilation[0])),
          static_cast<int>(kernels::dilated_window(window[1], dilation[1]))};
}

// Keras's checks of a convolution's dilation_rate: strictly positive, and not with strides above 1.
inline void require_dilation_with_unit_strides(const std::string& layer, std::array<int, 2> dilation,
                                               std::array<int, 2> strides) {
  require_positive_pair(layer, "dilation_rate", dilation);
  if (std::max(strides[0], strides[1]) > 1 && std::max(dilation[0], dilation[1]) > 1)
    throw InvalidArgument(layer + ": `strides > 1` not supported in conjunction with `dilation_rate > 1`. " +
                          "Received: strides=" + pair_str(strides) + " and dilation_rate=" + pair_str(dilation));
}

// Keras's checks of a convolution's groups against its filters (the input channels are checked at build).
inline void require_groups_divide_filters(const std::string& layer, int64_t groups, int64_t filters) {
  if (groups <= 0)
    throw InvalidArgument(layer + ": the number of groups must be a positive integer. Received: groups=" +
                          std::to_string(groups));
  if (filters % groups != 0)
    throw InvalidArgument(layer + ": the number of filters must be evenly divisible by the number of groups. " +
                          "Received: groups=" + std::to_string(groups) + ", filters=" + std::to_string(filters));
}

// "same" or "valid" (or, with allow_causal, Conv1D's "causal") in lower case; InvalidArgument naming the
// layer and the argument otherwise.
inline std::string normalize_padding(const std::string& layer, const std::string& padding, bool allow_causal = false) {
  std::string lower = padding;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  if (lower != "same" && lower != "valid" && !(allow_causal && lower == "causal"))
    throw InvalidArgument(layer + ": the `padding` argument must be \"valid\"" + (allow_causal ? ", \"same\" or \"causal\"" : " or \"same\"") +
                          ", got \"" + padding + "\"");
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

// Each channel of x (N,H,W,C) convolved with its own filters: kernel (KH,KW,C,M) -> (N,OH,OW,C*M), channel
// c*M+m from input channel c (a grouped convolution with C groups; the reshape keeps the memory).
inline Tensor depthwise_conv2d(const Tensor& x, const Tensor& kernel, std::array<int, 2> strides,
                               const std::string& padding, std::array<int, 2> dilation) {
  const Shape& k = kernel.shape();
  return ops::conv2d(x, ops::reshape(kernel, {k[0], k[1], 1, k[2] * k[3]}), strides, ops::padding_from_name(padding),
                     dilation);
}

}  // namespace cairn::detail
