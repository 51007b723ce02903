#include "cairn/internal/tensor/pool.h"

#include <algorithm>
#include <cstdint>

#include "cairn/parallel.h"
#include "cairn/internal/tensor/nan_max.h"
#include "cairn/internal/tensor/window.h"

namespace cairn::kernels {

Pool2DGeometry pool2d_geometry(const Shape& input, std::array<int, 2> pool_size, std::array<int, 2> strides,
                               bool same_padding) {
  Pool2DGeometry g;
  g.batch = input[0];
  g.in_h = input[1];
  g.in_w = input[2];
  g.channels = input[3];
  g.window_h = pool_size[0];
  g.window_w = pool_size[1];
  g.stride_h = strides[0];
  g.stride_w = strides[1];
  const WindowAxis rows = window_axis(g.in_h, g.window_h, g.stride_h, same_padding);
  const WindowAxis cols = window_axis(g.in_w, g.window_w, g.stride_w, same_padding);
  g.out_h = rows.out;
  g.out_w = cols.out;
  g.pad_top = rows.pad_before;
  g.pad_left = cols.pad_before;
  return g;
}

namespace {

// The part of output (oh, ow)'s window inside the input: rows [h0, h1), columns [w0, w1). Never empty:
// 'same' pads less than a window on either side.
struct Window {
  int64_t h0, h1, w0, w1;
};

Window window_at(const Pool2DGeometry& g, int64_t oh, int64_t ow) {
  const int64_t top = oh * g.stride_h - g.pad_top, left = ow * g.stride_w - g.pad_left;
  return {std::max<int64_t>(top, 0), std::min(top + g.window_h, g.in_h), std::max<int64_t>(left, 0),
          std::min(left + g.window_w, g.in_w)};
}

// best[c] = the maximum of channel c over the window of `image`.
void window_max(const Pool2DGeometry& g, const Window& win, const float* image, float* best) {
  const int64_t channels = g.channels;
  std::copy_n(image + (win.h0 * g.in_w + win.w0) * channels, channels, best);
  for (int64_t h = win.h0; h < win.h1; ++h)
    for (int64_t w = win.w0; w < win.w1; ++w) {
      const float* p = image + (h * g.in_w + w) * channels;
      for (int64_t c = 0; c < channels; ++c) best[c] = max_propagating_nan(p[c], best[c]);
    }
}

// window_max, also noting in where[c] the pixel of the maximum. Only a strictly greater value or a
// first NaN moves it, so ties keep the first in window order, and a NaN's gradient goes to the NaN.
void window_argmax(const Pool2DGeometry& g, const Window& win, const float* image, float* best,
                   int32_t* where) {
  const int64_t channels = g.channels;
  const int32_t first = static_cast<int32_t>(win.h0 * g.in_w + win.w0);
  std::copy_n(image + first * channels, channels, best);
  std::fill_n(where, channels, first);
  for (int64_t h = win.h0; h < win.h1; ++h)
    for (int64_t w = win.w0; w < win.w1; ++w) {
      const int32_t pixel = static_cast<int32_t>(h * g.in_w + w);
      const float* p = image + pixel * channels;
      for (int64_t c = 0; c < channels; ++c) {
        // Selects by bit mask, as GCC turns "greater ? pixel : where[c]" into a masked store, slow on AMD.
        const int32_t take = -static_cast<int32_t>(p[c] > best[c] || (p[c] != p[c] && best[c] == best[c]));
        best[c] = max_propagating_nan(p[c], best[c]);
        where[c] = (pixel & take) | (where[c] & ~take);
      }
    }
}

}  // namespace

void max_pool2d_forward(const Pool2DGeometry& g, const float* x, float* y, int32_t* argmax) {
  const int64_t image_size = g.in_h * g.in_w * g.channels, out_size = g.out_h * g.out_w * g.channels;
  parallel_for(g.batch, 1, [&](int64_t begin, int64_t end) {
    for (int64_t n = begin; n < end; ++n)
      for (int64_t oh = 0; oh < g.out_h; ++oh)
        for (int64_t ow = 0; ow < g.out_w; ++ow) {
          const Window win = window_at(g, oh, ow);
          const int64_t at = n * out_size + (oh * g.out_w + ow) * g.channels;
          if (argmax)
            window_argmax(g, win, x + n * image_size, y + at, argmax + at);
          else
            window_max(g, win, x + n * image_size, y + at);
        }
  });
}

void max_pool2d_backward(const Pool2DGeometry& g, const int32_t* argmax, const float* dy, float* dx) {
  const int64_t image_size = g.in_h * g.in_w * g.channels, out_size = g.out_h * g.out_w * g.channels;
  const int64_t channels = g.channels;
  parallel_for(g.batch, 1, [&](int64_t begin, int64_t end) {
    for (int64_t n = begin; n < end; ++n) {
      float* grad_image = dx + n * image_size;
      for (int64_t o = n * out_size; o < (n + 1) * out_size; o += channels)
        for (int64_t c = 0; c < channels; ++c) grad_image[argmax[o + c] * channels + c] += dy[o + c];
    }
  });
}

}  // namespace cairn::kernels
