// 2-D convolution kernels in TensorFlow's layouts: input NHWC, kernel (KH, KW, C / groups, F), output
// (N, OH, OW, F). With groups > 1 the channels split into `groups` independent convolutions (output
// channel f belongs to group f / (F / groups)); dilation spreads the kernel's taps `dilation` apart.
// No autodiff here; ops::conv2d and ops::conv2d_transpose build on these. The work runs on oneDNN with cairn::num_threads() threads.
#pragma once

#include <array>
#include <compare>
#include <cstdint>

#include "cairn/shape.h"

namespace cairn::kernels {

struct Conv2DGeometry {
  int64_t batch = 0, in_h = 0, in_w = 0, in_c = 0;
  int64_t kernel_h = 0, kernel_w = 0, out_c = 0;
  int64_t stride_h = 1, stride_w = 1;
  int64_t dilation_h = 1, dilation_w = 1;
  int64_t groups = 1;
  int64_t out_h = 0, out_w = 0;
  int64_t pad_top = 0, pad_bottom = 0, pad_left = 0, pad_right = 0;

  Shape input_shape() const { return {batch, in_h, in_w, in_c}; }
  Shape output_shape() const { return {batch, out_h, out_w, out_c}; }
  int64_t kernel_size() const { return kernel_h * kernel_w * (in_c / groups) * out_c; }
  auto operator<=>(const Conv2DGeometry&) const = default;
};

// The geometry for an input (N,H,W,C) and a kernel (KH,KW,C/groups,F) whose shapes the caller has checked
// (ranks, channels divisible, and H, W at least the dilated window for 'valid'); groups = C / kernel[2].
Conv2DGeometry conv2d_geometry(const Shape& input, const Shape& kernel, std::array<int, 2> strides,
                               bool same_padding, std::array<int, 2> dilation = {1, 1});

// What the forward pass applies to each output as it writes it (oneDNN's bias and post-op): + bias[f]
// when bias is set, then relu (max(., 0)) when `relu`.
struct ConvEpilogue {
  const float* bias = nullptr;
  bool relu = false;
};

// y = conv(x, kernel), then the epilogue; writes every element of y.
void conv2d_forward(const Conv2DGeometry& g, const float* x, const float* kernel, float* y,
                    ConvEpilogue epilogue = {});
// dx = d(sum(y * dy)) / dx; writes every element of dx.
void conv2d_backward_data(const Conv2DGeometry& g, const float* dy, const float* kernel, float* dx);
// dkernel = d(sum(y * dy)) / dkernel; writes every element of dkernel.
void conv2d_backward_filter(const Conv2DGeometry& g, const float* x, const float* dy, float* dkernel);

}  // namespace cairn::kernels
