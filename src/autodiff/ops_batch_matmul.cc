// batch_matmul: a matrix product per leading index (attention's scores and weighted values), through BLAS.
#include "op_util.h"
#include "cairn/error.h"
#include "cairn/ops.h"
#include "cairn/internal/tensor/blas.h"

namespace cairn::ops {

namespace {

// c[i] = op(a[i]) @ op(b[i]) for every leading index i, no recording.
Tensor batch_matmul_raw(const Tensor& a, const Tensor& b, bool ta, bool tb) {
  const int rank = static_cast<int>(a.rank());
  const int64_t ar = a.dim(rank - 2), ac = a.dim(rank - 1), br = b.dim(rank - 2), bc = b.dim(rank - 1);
  const int64_t m = ta ? ac : ar, k = ta ? ar : ac, kb = tb ? bc : br, n = tb ? br : bc;
  if (k != kb)
    throw ShapeError("batch_matmul: inner dimensions differ: " + shape_str(a.shape()) + (ta ? "^T" : "") + " @ " +
                     shape_str(b.shape()) + (tb ? "^T" : ""));
  Shape out = a.shape();
  out[rank - 2] = m;
  out[rank - 1] = n;
  Tensor c(out, DType::Float32);
  const int64_t batches = a.numel() / (ar * ac > 0 ? ar * ac : 1);
  for (int64_t i = 0; i < batches && m * n > 0; ++i)
    blas::sgemm(ta, tb, m, n, k, 1.f, a.data<float>() + i * ar * ac, ac, b.data<float>() + i * br * bc, bc, 0.f,
                c.data<float>() + i * m * n, n);
  return c;
}

}  // namespace

Tensor batch_matmul(const Tensor& a, const Tensor& b, bool transpose_a, bool transpose_b) {
  detail::require_float32(a, "batch_matmul");
  detail::require_float32(b, "batch_matmul");
  if (a.rank() < 2 || a.rank() != b.rank() ||
      !std::equal(a.shape().begin(), a.shape().end() - 2, b.shape().begin()))
    throw ShapeError("batch_matmul: operands of shapes " + shape_str(a.shape()) + " and " + shape_str(b.shape()) +
                     " need the same rank (at least 2) and the same leading dimensions");
  Tensor c = batch_matmul_raw(a, b, transpose_a, transpose_b);
  detail::maybe_record({a, b}, c, [a, b, transpose_a, transpose_b](const std::vector<Tensor>& g, const std::vector<bool>& need) {
    const Tensor& gc = g[0];
    Tensor ga, gb;
    // As matmul's, per batch: c = op(a) op(b): d op(a) = gc op(b)^T, d op(b) = op(a)^T gc.
    if (need[0])
      ga = transpose_a ? batch_matmul_raw(b, gc, transpose_b, true) : batch_matmul_raw(gc, b, false, !transpose_b);
    if (need[1])
      gb = transpose_b ? batch_matmul_raw(gc, a, true, transpose_a) : batch_matmul_raw(a, gc, !transpose_a, false);
    return std::vector<Tensor>{ga, gb};
  });
  return c;
}

}  // namespace cairn::ops
