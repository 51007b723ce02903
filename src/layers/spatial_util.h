// Argument checks and output shapes shared by the layers over channels-last images (the convolutions and
// the poolings).
#pragma once

#include <algorithm>
#include <array>
#include <cctype>
#include <optional>
#include <string>
#include <vector>

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

// The 1-D layers' form of the same check: one strictly positive integer.
inline void require_positive(const std::string& layer, const char* argument, int value) {
  if (value <= 0)
    throw InvalidArgument(layer + ": the `" + argument + "` argument must be a strictly positive integer, got " +
                          std::to_string(value));
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

// The 1-D layers' form of the same checks.
inline void require_dilation_with_unit_stride(const std::string& layer, int dilation, int stride) {
  require_positive(layer, "dilation_rate", dilation);
  if (stride > 1 && dilation > 1)
    throw InvalidArgument(layer + ": `strides > 1` not supported in conjunction with `dilation_rate > 1`. " +
                          "Received: strides=" + std::to_string(stride) + " and dilation_rate=" + std::to_string(dilation));
}

// Keras's check of the depthwise convolutions' depth_multiplier.
inline void require_depth_multiplier(const std::string& layer, int depth_multiplier) {
  if (depth_multiplier <= 0)
    throw InvalidArgument(layer + ": invalid value for argument `depth_multiplier`. Expected a strictly positive "
                          "value. Received depth_multiplier=" + std::to_string(depth_multiplier));
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

// Keras's check of a transposed convolution's output_padding: each value in [0, its stride).
inline void require_output_padding_below_strides(const std::string& layer, const std::vector<int>& output_padding,
                                                 const std::vector<int>& strides, const std::string& shown_padding,
                                                 const std::string& shown_strides) {
  for (size_t i = 0; i < output_padding.size(); ++i)
    if (output_padding[i] < 0 || output_padding[i] >= strides[i])
      throw InvalidArgument(layer + ": invalid `output_padding` argument. Each value in `output_padding` must be "
                            "non-negative and strictly less than the corresponding `strides` value. At index " +
                            std::to_string(i) + ", `output_padding` is " + std::to_string(output_padding[i]) +
                            " and `strides` is " + std::to_string(strides[i]) + ". Received: output_padding=" +
                            shown_padding + ", strides=" + shown_strides);
}

// Keras's length of a transposed convolution's output along one axis: (in - 1) * stride + the dilated
// kernel (+ output_padding or, unset, what makes max(kernel, stride)) for 'valid'; in * stride for 'same'
// without output_padding. Unknown (negative) lengths stay unknown.
inline int64_t transposed_output_length(int64_t in, int kernel, int stride, int dilation, const std::string& padding,
                                        std::optional<int> output_padding) {
  if (in < 0) return -1;
  const int64_t window = kernels::dilated_window(kernel, dilation);
  if (padding == "valid")
    return (in - 1) * stride + window + (output_padding ? *output_padding : std::max<int64_t>(window, stride) - window);
  if (!output_padding) return in * stride;
  return (in - 1) * stride + window % 2 + *output_padding;
}

// TensorFlow computes a transposed convolution as the input gradient of the convolution that maps its
// output back to its input: whether that convolution gives back `in` (an even kernel with 'same' and
// output_padding 0 does not).
inline bool transposed_output_convolves_back(int64_t in, int kernel, int stride, int dilation, const std::string& padding,
                                             std::optional<int> output_padding) {
  if (in < 0) return true;
  const int64_t out = transposed_output_length(in, kernel, stride, dilation, padding, output_padding);
  return spatial_output(out, static_cast<int>(kernels::dilated_window(kernel, dilation)), stride, padding) == in;
}

// Each channel of x (N,H,W,C) convolved with its own filters: kernel (KH,KW,C,M) -> (N,OH,OW,C*M), channel
// c*M+m from input channel c (a grouped convolution with C groups; the reshape keeps the memory).
inline Tensor depthwise_conv2d(const Tensor& x, const Tensor& kernel, std::array<int, 2> strides,
                               const std::string& padding, std::array<int, 2> dilation) {
  const Shape& k = kernel.shape();
  return ops::conv2d(x, ops::reshape(kernel, {k[0], k[1], 1, k[2] * k[3]}), strides, ops::padding_from_name(padding),
                     dilation);
}

// The same over sequences: x (N,L,C), kernel (K,C,M) -> (N,OL,C*M), as an image one row high.
inline Tensor depthwise_conv1d(const Tensor& x, const Tensor& kernel, int stride, const std::string& padding,
                               int dilation) {
  const Shape& s = x.shape();
  const Shape& k = kernel.shape();
  const Tensor y = depthwise_conv2d(ops::reshape(x, {s[0], 1, s[1], s[2]}), ops::reshape(kernel, {1, k[0], k[1], k[2]}),
                                    {1, stride}, padding, {1, dilation});
  return ops::reshape(y, {s[0], y.shape()[2], y.shape()[3]});
}

}  // namespace cairn::detail
