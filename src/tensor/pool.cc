#include "cairn/internal/tensor/pool.h"

#include <algorithm>
#include <bit>
#include <cstdint>

#include "cairn/parallel.h"
#include "cairn/internal/tensor/cpu_dispatch.h"
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

// One step of window_argmax for a pixel's channels, inlined into the kernels below.
inline void take_if_greater(float value, int32_t pixel, float& best, int32_t& where) {
  const int32_t take = -static_cast<int32_t>(value > best || (value != value && best == best));
  best = max_propagating_nan(value, best);
  where = (pixel & take) | (where & ~take);
}

// window_argmax for every output of a row whose 2x2 windows lie inside the image (the common
// MaxPooling2D(2)): `top` and `bottom` are the window rows' first pixels, pixel indices from `top_pixel`.
// One call per row with the four loads of a window unrolled (the general loop's per-window setup took
// most of its time on 16-36 channels).
CAIRN_DISPATCHED_KERNEL void argmax_2x2_row(int64_t out_w, int64_t stride_w, int64_t channels, int64_t in_w,
                                            const float* __restrict top, int32_t top_pixel, float* __restrict best,
                                            int32_t* __restrict where) {
  const float* __restrict bottom = top + in_w * channels;
  for (int64_t ow = 0; ow < out_w; ++ow) {
    const int64_t left = ow * stride_w;
    const float* __restrict a = top + left * channels;
    const float* __restrict b = bottom + left * channels;
    const int32_t pixel = top_pixel + static_cast<int32_t>(left), below = pixel + static_cast<int32_t>(in_w);
    float* __restrict y = best + ow * channels;
    int32_t* __restrict w = where + ow * channels;
    for (int64_t c = 0; c < channels; ++c) {
      float m = a[c];
      int32_t at = pixel;
      take_if_greater(a[channels + c], pixel + 1, m, at);
      take_if_greater(b[c], below, m, at);
      take_if_greater(b[channels + c], below + 1, m, at);
      y[c] = m;
      w[c] = at;
    }
  }
}

// argmax_2x2_row without the pixel indices (inference).
CAIRN_DISPATCHED_KERNEL void max_2x2_row(int64_t out_w, int64_t stride_w, int64_t channels, int64_t in_w,
                                         const float* __restrict top, float* __restrict best) {
  const float* __restrict bottom = top + in_w * channels;
  for (int64_t ow = 0; ow < out_w; ++ow) {
    const float* __restrict a = top + ow * stride_w * channels;
    const float* __restrict b = bottom + ow * stride_w * channels;
    float* __restrict y = best + ow * channels;
    for (int64_t c = 0; c < channels; ++c)
      y[c] = max_propagating_nan(b[channels + c],
                                 max_propagating_nan(b[c], max_propagating_nan(a[channels + c], a[c])));
  }
}

// dx of one input row's pixels [first_pixel, first_pixel + out_w * window_w) under a row of tiling
// windows: dy where the window's maximum came from the pixel, else 0 (bit masks, as above).
CAIRN_DISPATCHED_KERNEL void gradient_row(int64_t out_w, int64_t window_w, int64_t channels, int32_t first_pixel,
                                          const int32_t* __restrict where, const float* __restrict dy,
                                          float* __restrict dx) {
  for (int64_t ow = 0; ow < out_w; ++ow)
    for (int64_t j = 0; j < window_w; ++j) {
      const int32_t pixel = first_pixel + static_cast<int32_t>(ow * window_w + j);
      float* __restrict out = dx + (ow * window_w + j) * channels;
      for (int64_t c = 0; c < channels; ++c) {
        const int32_t take = -static_cast<int32_t>(where[ow * channels + c] == pixel);
        out[c] = std::bit_cast<float>(std::bit_cast<int32_t>(dy[ow * channels + c]) & take);
      }
    }
}

// True when every window lies inside the image and no two overlap, so that each input pixel has at most
// one window to take its gradient from.
bool windows_tile_inside(const Pool2DGeometry& g) {
  return g.stride_h == g.window_h && g.stride_w == g.window_w && g.pad_top == 0 && g.pad_left == 0 &&
         g.out_h * g.window_h <= g.in_h && g.out_w * g.window_w <= g.in_w;
}

}  // namespace

void max_pool2d_forward(const Pool2DGeometry& g, const float* x, float* y, int32_t* argmax) {
  const int64_t image_size = g.in_h * g.in_w * g.channels, out_size = g.out_h * g.out_w * g.channels;
  // 2x2 windows inside the image (no padding reaches them), a row of outputs per call.
  const bool rows_of_2x2 = g.window_h == 2 && g.window_w == 2 && g.pad_top == 0 && g.pad_left == 0 &&
                           (g.out_h - 1) * g.stride_h + 2 <= g.in_h && (g.out_w - 1) * g.stride_w + 2 <= g.in_w;
  parallel_for(g.batch, 1, [&](int64_t begin, int64_t end) {
    for (int64_t n = begin; n < end; ++n)
      for (int64_t oh = 0; oh < g.out_h; ++oh) {
        if (rows_of_2x2) {
          const int64_t at = n * out_size + oh * g.out_w * g.channels, top = oh * g.stride_h * g.in_w;
          const float* top_row = x + n * image_size + top * g.channels;
          if (argmax)
            argmax_2x2_row(g.out_w, g.stride_w, g.channels, g.in_w, top_row, static_cast<int32_t>(top), y + at,
                           argmax + at);
          else
            max_2x2_row(g.out_w, g.stride_w, g.channels, g.in_w, top_row, y + at);
          continue;
        }
        for (int64_t ow = 0; ow < g.out_w; ++ow) {
          const Window win = window_at(g, oh, ow);
          const int64_t at = n * out_size + (oh * g.out_w + ow) * g.channels;
          if (argmax)
            window_argmax(g, win, x + n * image_size, y + at, argmax + at);
          else
            window_max(g, win, x + n * image_size, y + at);
        }
      }
  });
}

void max_pool2d_backward(const Pool2DGeometry& g, const int32_t* argmax, const float* dy, float* dx) {
  const int64_t image_size = g.in_h * g.in_w * g.channels, out_size = g.out_h * g.out_w * g.channels;
  const int64_t channels = g.channels;
  const bool tiled = windows_tile_inside(g);
  parallel_for(g.batch, 1, [&](int64_t begin, int64_t end) {
    for (int64_t n = begin; n < end; ++n) {
      float* grad_image = dx + n * image_size;
      if (!tiled) {  // windows overlap or are padded: zeros, then each output's gradient added at its pixel
        std::fill_n(grad_image, image_size, 0.0f);
        for (int64_t o = n * out_size; o < (n + 1) * out_size; o += channels)
          for (int64_t c = 0; c < channels; ++c) grad_image[argmax[o + c] * channels + c] += dy[o + c];
        continue;
      }
      // Each pixel in one window at most: written once, without the zero-fill and the scattered adds.
      for (int64_t oh = 0; oh < g.out_h; ++oh) {
        const int64_t o = n * out_size + oh * g.out_w * channels;
        for (int64_t h = oh * g.window_h; h < (oh + 1) * g.window_h; ++h)
          gradient_row(g.out_w, g.window_w, channels, static_cast<int32_t>(h * g.in_w), argmax + o, dy + o,
                       grad_image + h * g.in_w * channels);
      }
      // Pixels past the last window (a 'valid' pool that leaves rows or columns over) get none.
      for (int64_t h = 0; h < g.in_h; ++h) {
        const int64_t from = h < g.out_h * g.window_h ? g.out_w * g.window_w : 0;
        std::fill(grad_image + (h * g.in_w + from) * channels, grad_image + (h + 1) * g.in_w * channels, 0.0f);
      }
    }
  });
}

}  // namespace cairn::kernels
