// Matrix products and the fused dense op.
#include "op_util.h"
#include "cairn/ops.h"
#include "cairn/internal/tensor/blas.h"

namespace cairn::ops {

using detail::maybe_record;
using detail::require_float32;

namespace {
// Raw a @ b with optional transposes, no recording.
Tensor matmul_raw(const Tensor& a, const Tensor& b, bool ta, bool tb) {
  const int64_t m = ta ? a.dim(1) : a.dim(0), k = ta ? a.dim(0) : a.dim(1);
  const int64_t kb = tb ? b.dim(1) : b.dim(0), n = tb ? b.dim(0) : b.dim(1);
  if (k != kb)
    throw ShapeError("matmul: inner dimensions differ: " + shape_str(a.shape()) + (ta ? "^T" : "") + " @ " +
                     shape_str(b.shape()) + (tb ? "^T" : ""));
  Tensor c = Tensor::uninitialized({m, n}, DType::Float32);
  blas::sgemm(ta, tb, m, n, k, 1.f, a.data<float>(), a.dim(1), b.data<float>(), b.dim(1), 0.f, c.data<float>(), n);
  return c;
}
}  // namespace

Tensor matmul(const Tensor& a, const Tensor& b, bool transpose_a, bool transpose_b) {
  require_float32(a, "matmul");
  require_float32(b, "matmul");
  detail::require_rank(a, 2, "matmul", "left operand");
  detail::require_rank(b, 2, "matmul", "right operand");
  Tensor c = matmul_raw(a, b, transpose_a, transpose_b);
  maybe_record({a, b}, c, [a, b, transpose_a, transpose_b](const std::vector<Tensor>& g, const std::vector<bool>& need) {
    const Tensor& gc = g[0];
    Tensor ga, gb;
    // c = op(a) op(b): d op(a) = gc op(b)^T, d op(b) = op(a)^T gc.
    if (need[0]) ga = transpose_a ? matmul_raw(b, gc, transpose_b, true) : matmul_raw(gc, b, false, !transpose_b);
    if (need[1]) gb = transpose_b ? matmul_raw(gc, a, true, transpose_a) : matmul_raw(a, gc, !transpose_a, false);
    return std::vector<Tensor>{ga, gb};
  });
  return c;
}

Tensor bias_add(const Tensor& x, const Tensor& bias) {
  require_float32(x, "bias_add");
  require_float32(bias, "bias_add");
  if (bias.rank() != 1 || x.rank() < 1 || x.dim(-1) != bias.dim(0))
    throw ShapeError("bias_add: bias of shape " + shape_str(bias.shape()) + " does not match the last axis of " +
                     shape_str(x.shape()));
  return add(x, bias);
}

Tensor dense(const Tensor& x, const Tensor& kernel, const Tensor& bias) {
  require_float32(x, "dense");
  require_float32(kernel, "dense");
  detail::require_rank(kernel, 2, "dense", "kernel");
  if (x.rank() < 1 || x.dim(-1) != kernel.dim(0))
    throw ShapeError("dense: input of shape " + shape_str(x.shape()) + " does not match kernel of shape " +
                     shape_str(kernel.shape()) + " (last axis must be " + std::to_string(kernel.dim(0)) + ")");
  const int64_t in = kernel.dim(0), out = kernel.dim(1);
  // Rows from the leading axes, not numel / in: an input without features (in = 0) still has rows.
  int64_t rows = 1;
  for (size_t axis = 0; axis + 1 < x.shape().size(); ++axis) rows *= x.shape()[axis];
  Shape out_shape = x.shape();
  out_shape.back() = out;
  Tensor y = Tensor::uninitialized(out_shape, DType::Float32);  // the bias rows or beta = 0 set every element
  float* py = y.data<float>();
  if (bias.defined()) {
    if (bias.rank() != 1 || bias.dim(0) != out)
      throw ShapeError("dense: bias of shape " + shape_str(bias.shape()) + " does not match kernel of shape " +
                       shape_str(kernel.shape()));
    const float* pb = bias.data<float>();
    for (int64_t r = 0; r < rows; ++r) std::copy(pb, pb + out, py + r * out);
  }
  blas::sgemm(false, false, rows, out, in, 1.f, x.data<float>(), in, kernel.data<float>(), out, bias.defined() ? 1.f : 0.f,
              py, out);
  std::vector<Tensor> inputs{x, kernel};
  if (bias.defined()) inputs.push_back(bias);
  maybe_record(inputs, y, [x, kernel, rows, in, out, has_bias = bias.defined()](const std::vector<Tensor>& g,
                                                                                  const std::vector<bool>& need) {
    const float* gy = g[0].data<float>();
    std::vector<Tensor> grads(has_bias ? 3 : 2);
    if (need[0]) {
      grads[0] = Tensor::uninitialized(x.shape(), DType::Float32);
      blas::sgemm(false, true, rows, in, out, 1.f, gy, out, kernel.data<float>(), out, 0.f, grads[0].data<float>(), in);
    }
    if (need[1]) {
      grads[1] = Tensor::uninitialized(kernel.shape(), DType::Float32);
      blas::sgemm(true, false, in, out, rows, 1.f, x.data<float>(), in, gy, out, 0.f, grads[1].data<float>(), out);
    }
    if (has_bias && need[2]) {
      grads[2] = Tensor({out}, DType::Float32);
      float* gb = grads[2].data<float>();
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t j = 0; j < out; ++j) gb[j] += gy[r * out + j];
    }
    return grads;
  });
  return y;
}

}  // namespace cairn::ops
