// 2-D max pooling in NHWC, as tf.nn.max_pool2d: padded positions never win, and a window's gradient goes to
// its first maximum in window order (row by row), as TensorFlow's MaxPoolGrad. No autodiff here.
// Pixel indices are int32 so that the channel loops vectorize: callers refuse images of 2^31 pixels.
#pragma once

#include <array>
#include <cstdint>

#include "cairn/shape.h"

namespace cairn::kernels {

struct Pool2DGeometry {
  int64_t batch = 0, in_h = 0, in_w = 0, channels = 0;
  int64_t window_h = 1, window_w = 1, stride_h = 1, stride_w = 1;
  int64_t out_h = 0, out_w = 0;
  int64_t pad_top = 0, pad_left = 0;

  Shape output_shape() const { return {batch, out_h, out_w, channels}; }
};

// The geometry for an input (N,H,W,C) that the caller has checked (H >= window for 'valid', likewise W,
// and H * W < 2^31).
Pool2DGeometry pool2d_geometry(const Shape& input, std::array<int, 2> pool_size, std::array<int, 2> strides,
                               bool same_padding);

// Writes every element of y and, when `argmax` is given (for the backward pass), the pixel h * in_w + w of
// each output element's first maximum in window order.
void max_pool2d_forward(const Pool2DGeometry& g, const float* x, float* y, int32_t* argmax = nullptr);
// dx: each dy element at the pixel that argmax names (summed where windows overlap), 0 elsewhere; writes
// every element of dx.
void max_pool2d_backward(const Pool2DGeometry& g, const int32_t* argmax, const float* dy, float* dx);

}  // namespace cairn::kernels
