// Convolution and max pooling, NHWC as tf.nn; the kernels live in src/tensor/{conv,pool}.cc.
#include <algorithm>
#include <cstdint>
#include <limits>
#include <memory>
#include <vector>

#include "op_util.h"
#include "cairn/ops.h"
#include "cairn/internal/tensor/conv.h"
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

}  // namespace

Tensor conv2d(const Tensor& x, const Tensor& kernel, std::array<int, 2> strides, Padding padding,
              std::array<int, 2> dilation) {
  require_float32(x, "conv2d");
  require_float32(kernel, "conv2d");
  detail::require_rank(x, 4, "conv2d", "input");
  detail::require_rank(kernel, 4, "conv2d", "kernel");
  const kernels::Conv2DGeometry geometry = checked_geometry("conv2d", x.shape(), kernel, strides, padding, dilation);
  Tensor y(geometry.output_shape(), DType::Float32);
  kernels::conv2d_forward(geometry, x.data<float>(), kernel.data<float>(), y.data<float>());
  maybe_record({x, kernel}, y,
               [x, kernel, geometry](const std::vector<Tensor>& g, const std::vector<bool>& need) {
                 const float* dy = g[0].data<float>();
                 Tensor dx, dkernel;
                 if (need[0]) {
                   dx = Tensor(x.shape(), DType::Float32);
                   kernels::conv2d_backward_data(geometry, dy, kernel.data<float>(), dx.data<float>());
                 }
                 if (need[1]) {
                   dkernel = Tensor(kernel.shape(), DType::Float32);
                   kernels::conv2d_backward_filter(geometry, x.data<float>(), dy, dkernel.data<float>());
                 }
                 return std::vector<Tensor>{dx, dkernel};
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
  Tensor y(output_shape, DType::Float32);
  kernels::conv2d_backward_data(geometry, x.data<float>(), kernel.data<float>(), y.data<float>());
  maybe_record({x, kernel}, y,
               [x, kernel, geometry](const std::vector<Tensor>& g, const std::vector<bool>& need) {
                 const float* dy = g[0].data<float>();
                 Tensor dx, dkernel;
                 if (need[0]) {
                   dx = Tensor(x.shape(), DType::Float32);
                   kernels::conv2d_forward(geometry, dy, kernel.data<float>(), dx.data<float>());
                 }
                 if (need[1]) {
                   dkernel = Tensor(kernel.shape(), DType::Float32);
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
  Tensor y(geometry.output_shape(), DType::Float32);
  if (!autodiff::should_record({&x})) {
    kernels::max_pool2d_forward(geometry, x.data<float>(), y.data<float>());
    return y;
  }
  // Where each maximum came from, for the backward pass (cheaper than searching the windows again).
  auto argmax = std::make_shared<std::vector<int32_t>>(y.numel());
  kernels::max_pool2d_forward(geometry, x.data<float>(), y.data<float>(), argmax->data());
  autodiff::record(
      {x}, {y},
      [shape = x.shape(), argmax, geometry](const std::vector<Tensor>& g, const std::vector<bool>&) {
        Tensor dx(shape, DType::Float32);
        kernels::max_pool2d_backward(geometry, argmax->data(), g[0].data<float>(), dx.data<float>());
        return std::vector<Tensor>{dx};
      });
  return y;
}

}  // namespace cairn::ops
