// avg_pool2d: the mean of each window of an NHWC image, as tf.nn.avg_pool2d ('same' windows average the
// input positions they cover, not the padding).
#include <algorithm>

#include "op_util.h"
#include "cairn/error.h"
#include "cairn/ops.h"
#include "cairn/internal/tensor/pool.h"

namespace cairn::ops {

namespace {

// Calls visit(n, oh, ow, h0, h1, w0, w1) for every output position with its window's part inside the input.
template <class F>
void for_each_window(const kernels::Pool2DGeometry& g, F visit) {
  for (int64_t n = 0; n < g.batch; ++n)
    for (int64_t oh = 0; oh < g.out_h; ++oh) {
      const int64_t top = oh * g.stride_h - g.pad_top;
      const int64_t h0 = std::max<int64_t>(top, 0), h1 = std::min(top + g.window_h, g.in_h);
      for (int64_t ow = 0; ow < g.out_w; ++ow) {
        const int64_t left = ow * g.stride_w - g.pad_left;
        const int64_t w0 = std::max<int64_t>(left, 0), w1 = std::min(left + g.window_w, g.in_w);
        visit(n, oh, ow, h0, h1, w0, w1);
      }
    }
}

}  // namespace

Tensor avg_pool2d(const Tensor& x, std::array<int, 2> pool_size, std::array<int, 2> strides, Padding padding) {
  detail::require_float32(x, "avg_pool2d");
  detail::require_rank(x, 4, "avg_pool2d", "input");
  if (pool_size[0] <= 0 || pool_size[1] <= 0 || strides[0] <= 0 || strides[1] <= 0)
    throw InvalidArgument("avg_pool2d: pool_size and strides must be positive, got pool_size (" +
                          std::to_string(pool_size[0]) + ", " + std::to_string(pool_size[1]) + ") and strides (" +
                          std::to_string(strides[0]) + ", " + std::to_string(strides[1]) + ")");
  const bool same = padding == Padding::Same;
  if (!same && (x.dim(1) < pool_size[0] || x.dim(2) < pool_size[1]))
    throw ShapeError("avg_pool2d: pool_size (" + std::to_string(pool_size[0]) + ", " + std::to_string(pool_size[1]) +
                     ") is larger than the input of shape " + shape_str(x.shape()) + " with padding \"valid\"");
  const kernels::Pool2DGeometry g = kernels::pool2d_geometry(x.shape(), pool_size, strides, same);
  Tensor y(g.output_shape(), DType::Float32);
  const int64_t c = g.channels;
  const float* in = x.data<float>();
  float* out = y.data<float>();
  for_each_window(g, [&](int64_t n, int64_t oh, int64_t ow, int64_t h0, int64_t h1, int64_t w0, int64_t w1) {
    float* o = out + ((n * g.out_h + oh) * g.out_w + ow) * c;
    for (int64_t h = h0; h < h1; ++h)
      for (int64_t w = w0; w < w1; ++w) {
        const float* p = in + ((n * g.in_h + h) * g.in_w + w) * c;
        for (int64_t k = 0; k < c; ++k) o[k] += p[k];
      }
    const float inv = 1.0f / static_cast<float>((h1 - h0) * (w1 - w0));
    for (int64_t k = 0; k < c; ++k) o[k] *= inv;
  });
  detail::maybe_record({x}, y, [shape = x.shape(), g](const std::vector<Tensor>& grads, const std::vector<bool>&) {
    Tensor dx(shape, DType::Float32);
    const int64_t c = g.channels;
    const float* dy = grads[0].data<float>();
    float* d = dx.data<float>();
    for_each_window(g, [&](int64_t n, int64_t oh, int64_t ow, int64_t h0, int64_t h1, int64_t w0, int64_t w1) {
      const float* o = dy + ((n * g.out_h + oh) * g.out_w + ow) * c;
      const float inv = 1.0f / static_cast<float>((h1 - h0) * (w1 - w0));
      for (int64_t h = h0; h < h1; ++h)
        for (int64_t w = w0; w < w1; ++w) {
          float* p = d + ((n * g.in_h + h) * g.in_w + w) * c;
          for (int64_t k = 0; k < c; ++k) p[k] += o[k] * inv;
        }
    });
    return std::vector<Tensor>{dx};
  });
  return y;
}

}  // namespace cairn::ops
