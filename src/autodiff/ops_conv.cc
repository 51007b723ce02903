// Convolution and max pooling, NHWC as tf.nn; the kernels live in src/tensor/{conv,pool}.cc.
#include <algorithm>
#include <cstdint>
#include <limits>
#include <memory>
#include <tuple>
#include <utility>
#include <vector>

#include "op_util.h"
#include "cairn/ops.h"
#include "cairn/parallel.h"
#include "cairn/internal/tensor/conv.h"
#include "cairn/internal/tensor/cpu_dispatch.h"
#include "cairn/internal/tensor/pool.h"
#include "cairn/internal/tensor/window.h"

namespace cairn::ops {

using detail::maybe_record;
using detail::require_float32;

namespace {

std::string pair_str(std::array<int, 2> v) {
  std::string s = "(";  // built up in steps: GCC 12 warns wrongly (-Wrestrict) about "(" + std::string
  s += std::to_string(v[0]) + ", " + std::to_string(v[1]) + ")";
  return s;
}

void require_positive(std::array<int, 2> v, const char* op, const char* what) {
  if (v[0] < 1 || v[1] < 1)
    throw InvalidArgument(std::string(op) + ": " + what + " must be positive, got " + pair_str(v));
}

// 'valid' windows must fit in the input, as TensorFlow refuses a negative output size.
void require_window_fits(const Shape& input, int64_t window_h, int64_t window_w, const char* op,
                         const std::string& what) {
  if (input[1] < window_h || input[2] < window_w)
    throw ShapeError(std::string(op) + ": " + what + " does not fit in input of shape " + shape_str(input) +
                     " with 'valid' padding");
}

// The checks conv2d and conv2d_transpose share, on the input `image` of the convolution (x for conv2d,
// the output for conv2d_transpose) and its kernel (KH,KW,C/G,F).
kernels::Conv2DGeometry checked_geometry(const char* op, const Shape& image, const Tensor& kernel,
                                         std::array<int, 2> strides, Padding padding, std::array<int, 2> dilation) {
  require_positive(strides, op, "strides");
  require_positive(dilation, op, "dilation");
  const int64_t channels = image[3], kernel_channels = kernel.dim(2);
  // C = groups * kernel_channels, and the groups divide the output channels (C = 0 needs an empty kernel).
  const bool fits = kernel_channels == 0 ? channels == 0
                                         : channels % kernel_channels == 0 &&
                                               kernel.dim(3) % std::max<int64_t>(channels / kernel_channels, 1) == 0;
  if (!fits)
    throw ShapeError(std::string(op) + ": input of shape " + shape_str(image) + " has " + std::to_string(channels) +
                     " channels but kernel of shape " + shape_str(kernel.shape()) + " expects " +
                     std::to_string(kernel_channels) + " input channels" +
                     (channels > kernel_channels ? " (or a multiple, in groups that divide its output channels)" : ""));
  if (kernel.dim(0) < 1 || kernel.dim(1) < 1)
    throw ShapeError(std::string(op) + ": kernel of shape " + shape_str(kernel.shape()) + " has an empty window");
  const bool same = padding == Padding::Same;
  if (!same)
    require_window_fits(image, kernels::dilated_window(kernel.dim(0), dilation[0]),
                        kernels::dilated_window(kernel.dim(1), dilation[1]), op,
                        "kernel of shape " + shape_str(kernel.shape()) + " with dilation " + pair_str(dilation));
  return kernels::conv2d_geometry(image, kernel.shape(), strides, same, dilation);
}

// dx and dkernel of a convolution for the gradient dy of its output (before any epilogue).
std::pair<Tensor, Tensor> conv2d_gradients(const kernels::Conv2DGeometry& geometry, const Tensor& x,
                                           const Tensor& kernel, const float* dy, bool need_x, bool need_kernel) {
  Tensor dx, dkernel;
  if (need_x) {
    dx = Tensor::uninitialized(x.shape(), DType::Float32);
    kernels::conv2d_backward_data(geometry, dy, kernel.data<float>(), dx.data<float>());
  }
  if (need_kernel) {
    dkernel = Tensor::uninitialized(kernel.shape(), DType::Float32);
    kernels::conv2d_backward_filter(geometry, x.data<float>(), dy, dkernel.data<float>());
  }
  return {dx, dkernel};
}

// Rows per block of the fused gradient's channel sums: fixed, so that the sums do not depend on the
// thread count.
constexpr int64_t kSumBlockRows = 512;

// For rows [begin, end) of `channels`: dz = dy * (y > 0 ? 1 : 0) when relu (TensorFlow's ReluGrad on the
// output, positive exactly where its input was; a NaN gradient stays NaN), and sums[c] = the sum of dz's
// column c over the rows (of dy's without relu; y and dz are then unused).
CAIRN_DISPATCHED_KERNEL void relu_gradient_and_sums(int64_t begin, int64_t end, int64_t channels, bool relu,
                                                    const float* __restrict dy, const float* __restrict y,
                                                    float* __restrict dz, float* __restrict sums) {
  for (int64_t c = 0; c < channels; ++c) sums[c] = 0.f;
  for (int64_t r = begin; r < end; ++r) {
    const float* __restrict dy_row = dy + r * channels;
    if (relu) {
      const float* __restrict y_row = y + r * channels;
      float* __restrict dz_row = dz + r * channels;
      for (int64_t c = 0; c < channels; ++c) {
        dz_row[c] = dy_row[c] * (y_row[c] > 0.f ? 1.f : 0.f);
        sums[c] += dz_row[c];
      }
    } else {
      for (int64_t c = 0; c < channels; ++c) sums[c] += dy_row[c];
    }
  }
}

}  // namespace

Tensor conv2d(const Tensor& x, const Tensor& kernel, std::array<int, 2> strides, Padding padding,
              std::array<int, 2> dilation) {
  return fused_conv2d(x, kernel, Tensor(), false, strides, padding, dilation);
}

Tensor fused_conv2d(const Tensor& x, const Tensor& kernel, const Tensor& bias, bool relu, std::array<int, 2> strides,
                    Padding padding, std::array<int, 2> dilation) {
  require_float32(x, "conv2d");
  require_float32(kernel, "conv2d");
  detail::require_rank(x, 4, "conv2d", "input");
  detail::require_rank(kernel, 4, "conv2d", "kernel");
  const kernels::Conv2DGeometry geometry = checked_geometry("conv2d", x.shape(), kernel, strides, padding, dilation);
  const bool has_bias = bias.defined();
  if (has_bias) {
    require_float32(bias, "conv2d");
    if (bias.rank() != 1 || bias.dim(0) != kernel.dim(3))
      throw ShapeError("conv2d: bias of shape " + shape_str(bias.shape()) + " does not match kernel of shape " +
                       shape_str(kernel.shape()) + " (expected (" + std::to_string(kernel.dim(3)) + ",))");
  }
  Tensor y = Tensor::uninitialized(geometry.output_shape(), DType::Float32);
  kernels::conv2d_forward(geometry, x.data<float>(), kernel.data<float>(), y.data<float>(),
                          {.bias = has_bias ? bias.data<float>() : nullptr, .relu = relu});
  std::vector<Tensor> inputs{x, kernel};
  if (has_bias) inputs.push_back(bias);
  // The output is kept only when relu's mask needs it.
  maybe_record(inputs, y, [x, kernel, y = relu ? y : Tensor(), geometry, has_bias, relu](
                              const std::vector<Tensor>& g, const std::vector<bool>& need) {
    std::vector<Tensor> grads(has_bias ? 3 : 2);
    const bool need_bias = has_bias && need[2];
    Tensor dz = g[0];
    if (relu || need_bias) {
      const int64_t rows = geometry.batch * geometry.out_h * geometry.out_w, channels = geometry.out_c;
      const int64_t blocks = (rows + kSumBlockRows - 1) / kSumBlockRows;
      if (relu) dz = Tensor::uninitialized(g[0].shape(), DType::Float32);
      std::vector<float> partial(static_cast<size_t>(blocks * channels));
      const float* dy = g[0].data<float>();
      const float* out = relu ? y.data<float>() : nullptr;
      float* dz_data = relu ? dz.data<float>() : nullptr;
      parallel_for(blocks, 1, [&](int64_t begin, int64_t end) {
        for (int64_t b = begin; b < end; ++b)
          relu_gradient_and_sums(b * kSumBlockRows, std::min(rows, (b + 1) * kSumBlockRows), channels, relu, dy, out,
                                 dz_data, partial.data() + b * channels);
      });
      if (need_bias) {
        grads[2] = Tensor({channels}, DType::Float32);
        float* db = grads[2].data<float>();
        for (int64_t b = 0; b < blocks; ++b)
          for (int64_t c = 0; c < channels; ++c) db[c] += partial[b * channels + c];
      }
    }
    std::tie(grads[0], grads[1]) = conv2d_gradients(geometry, x, kernel, dz.data<float>(), need[0], need[1]);
    return grads;
  });
  return y;
}

// The convolution's passes with the roles of its input and output exchanged: the forward pass is
// conv2d's backward-data pass, and the gradients are conv2d's forward and backward-filter passes.
Tensor conv2d_transpose(const Tensor& x, const Tensor& kernel, std::array<int64_t, 2> output_size,
                        std::array<int, 2> strides, Padding padding, std::array<int, 2> dilation) {
  require_float32(x, "conv2d_transpose");
  require_float32(kernel, "conv2d_transpose");
  detail::require_rank(x, 4, "conv2d_transpose", "input");
  detail::require_rank(kernel, 4, "conv2d_transpose", "kernel");
  if (x.dim(3) != kernel.dim(3))
    throw ShapeError("conv2d_transpose: input of shape " + shape_str(x.shape()) + " has " + std::to_string(x.dim(3)) +
                     " channels but kernel of shape " + shape_str(kernel.shape()) + " expects " +
                     std::to_string(kernel.dim(3)) + " (its last axis)");
  if (output_size[0] < 0 || output_size[1] < 0)
    throw ShapeError("conv2d_transpose: negative output size (" + std::to_string(output_size[0]) + ", " +
                     std::to_string(output_size[1]) + ")");
  const Shape output_shape{x.dim(0), output_size[0], output_size[1], kernel.dim(2)};
  const kernels::Conv2DGeometry geometry =
      checked_geometry("conv2d_transpose", output_shape, kernel, strides, padding, dilation);
  if (geometry.out_h != x.dim(1) || geometry.out_w != x.dim(2))
    throw ShapeError("conv2d_transpose: an output of shape " + shape_str(output_shape) + " convolves to (" +
                     std::to_string(geometry.out_h) + ", " + std::to_string(geometry.out_w) +
                     ") with kernel of shape " + shape_str(kernel.shape()) + ", strides " + pair_str(strides) +
                     " and dilation " + pair_str(dilation) + ", not to the input of shape " + shape_str(x.shape()));
  Tensor y = Tensor::uninitialized(output_shape, DType::Float32);
  kernels::conv2d_backward_data(geometry, x.data<float>(), kernel.data<float>(), y.data<float>());
  maybe_record({x, kernel}, y,
               [x, kernel, geometry](const std::vector<Tensor>& g, const std::vector<bool>& need) {
                 const float* dy = g[0].data<float>();
                 Tensor dx, dkernel;
                 if (need[0]) {
                   dx = Tensor::uninitialized(x.shape(), DType::Float32);
                   kernels::conv2d_forward(geometry, dy, kernel.data<float>(), dx.data<float>());
                 }
                 if (need[1]) {
                   dkernel = Tensor::uninitialized(kernel.shape(), DType::Float32);
                   kernels::conv2d_backward_filter(geometry, dy, x.data<float>(), dkernel.data<float>());
                 }
                 return std::vector<Tensor>{dx, dkernel};
               });
  return y;
}

Tensor max_pool2d(const Tensor& x, std::array<int, 2> pool_size, std::array<int, 2> strides,
                  Padding padding) {
  require_float32(x, "max_pool2d");
  detail::require_rank(x, 4, "max_pool2d", "input");
  require_positive(pool_size, "max_pool2d", "pool_size");
  require_positive(strides, "max_pool2d", "strides");
  if (x.dim(1) * x.dim(2) > std::numeric_limits<int32_t>::max())
    throw InvalidArgument("max_pool2d: images of 2^31 pixels or more are not supported, got input of shape " +
                          shape_str(x.shape()));
  const bool same = padding == Padding::Same;
  if (!same)
    require_window_fits(x.shape(), pool_size[0], pool_size[1], "max_pool2d",
                        "pool_size " + pair_str(pool_size));
  const kernels::Pool2DGeometry geometry = kernels::pool2d_geometry(x.shape(), pool_size, strides, same);
  Tensor y = Tensor::uninitialized(geometry.output_shape(), DType::Float32);
  if (!autodiff::should_record({&x})) {
    kernels::max_pool2d_forward(geometry, x.data<float>(), y.data<float>());
    return y;
  }
  // Where each maximum came from, for the backward pass (cheaper than searching the windows again).
  Tensor argmax = Tensor::uninitialized({y.numel()}, DType::Int32);
  kernels::max_pool2d_forward(geometry, x.data<float>(), y.data<float>(), argmax.data<int32_t>());
  autodiff::record(
      {x}, {y},
      [shape = x.shape(), argmax, geometry](const std::vector<Tensor>& g, const std::vector<bool>&) {
        Tensor dx = Tensor::uninitialized(shape, DType::Float32);
        kernels::max_pool2d_backward(geometry, argmax.data<int32_t>(), g[0].data<float>(), dx.data<float>());
        return std::vector<Tensor>{dx};
      });
  return y;
}

}  // namespace cairn::ops
