// Helpers shared by the op implementations: argument checks, broadcasting, gradient reduction.
#pragma once

#include <algorithm>
#include <cstddef>
#include <string>
#include <vector>

#include "cairn/autodiff.h"
#include "cairn/tensor.h"

namespace cairn::detail {

void require_float32(const Tensor& t, const char* op);
void require_rank(const Tensor& t, int rank, const char* op, const char* what = "input");
Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op);
// Sums a gradient over the axes along which an input of `shape` was broadcast.
Tensor sum_to_shape(const Tensor& grad, const Shape& shape);

// Records `backward` when some tape needs it. Inputs are captured by the caller's lambda as needed.
inline void maybe_record(std::vector<Tensor> inputs, const Tensor& output, BackwardFn backward) {
  if (autodiff::should_record(inputs)) autodiff::record(inputs, {output}, std::move(backward));
}

// Applies f elementwise to a float32 tensor.
template <class F>
Tensor map_float(const Tensor& a, F f) {
  Tensor out = Tensor::uninitialized(a.shape(), DType::Float32);
  const float* x = a.data<float>();
  float* y = out.data<float>();
  const int64_t n = a.numel();
  for (int64_t i = 0; i < n; ++i) y[i] = f(x[i]);
  return out;
}

// out[i] = f(a[i], b[i]) for two float32 tensors of the same shape.
template <class F>
Tensor zip_float(const Tensor& a, const Tensor& b, F f) {
  Tensor out = Tensor::uninitialized(a.shape(), DType::Float32);
  const float* x = a.data<float>();
  const float* z = b.data<float>();
  float* y = out.data<float>();
  const int64_t n = a.numel();
  for (int64_t i = 0; i < n; ++i) y[i] = f(x[i], z[i]);
  return out;
}

// True when `part`, leading 1s aside, equals the trailing axes of `whole`: it repeats along the others.
inline bool is_trailing_part(const Shape& part, const Shape& whole) {
  size_t skip = 0;
  while (skip < part.size() && part[skip] == 1) ++skip;
  const size_t rest = part.size() - skip;
  return rest <= whole.size() && std::equal(part.begin() + static_cast<std::ptrdiff_t>(skip), part.end(),
                                            whole.end() - static_cast<std::ptrdiff_t>(rest));
}

// Broadcasting binary map over float32 inputs; the innermost dimension is a tight loop.
template <class F>
Tensor broadcast_float(const Tensor& a, const Tensor& b, const char* op, F f) {
  if (a.shape() == b.shape()) return zip_float(a, b, f);
  Shape out_shape = broadcast_shapes(a.shape(), b.shape(), op);
  Tensor out = Tensor::uninitialized(out_shape, DType::Float32);
  // A bias over the rows or pixels of the other operand: contiguous blocks of its size, which vectorize
  // (the strided loop below went through the index arithmetic per row: 7% of a mnist_cnn step).
  const bool a_whole = a.shape() == out_shape, b_whole = b.shape() == out_shape;
  if ((a_whole && is_trailing_part(b.shape(), out_shape)) || (b_whole && is_trailing_part(a.shape(), out_shape))) {
    const int64_t block = (a_whole ? b : a).numel(), n = out.numel();
    const float* __restrict x = a.data<float>();
    const float* __restrict z = b.data<float>();
    float* __restrict y = out.data<float>();
    for (int64_t o = 0; block > 0 && o < n; o += block) {
      if (a_whole)
        for (int64_t j = 0; j < block; ++j) y[o + j] = f(x[o + j], z[j]);
      else
        for (int64_t j = 0; j < block; ++j) y[o + j] = f(x[j], z[o + j]);
    }
    return out;
  }
  const int rank = static_cast<int>(out_shape.size());
  // Strides of a and b in elements, 0 along broadcast axes, aligned to the output's axes.
  std::vector<int64_t> sa(rank, 0), sb(rank, 0);
  auto fill_strides = [&](const Shape& s, std::vector<int64_t>& st) {
    int64_t stride = 1;
    for (int i = static_cast<int>(s.size()) - 1, o = rank - 1; i >= 0; --i, --o) {
      st[o] = s[i] == 1 ? 0 : stride;
      stride *= s[i];
    }
  };
  fill_strides(a.shape(), sa);
  fill_strides(b.shape(), sb);
  const float* x = a.data<float>();
  const float* z = b.data<float>();
  float* y = out.data<float>();
  if (out.numel() == 0) return out;
  const int64_t inner = rank ? out_shape[rank - 1] : 1;
  const int64_t ia = rank ? sa[rank - 1] : 0, ib = rank ? sb[rank - 1] : 0;
  const int64_t outer = out.numel() / inner;
  std::vector<int64_t> index(rank, 0);
  for (int64_t o = 0; o < outer; ++o) {
    int64_t offa = 0, offb = 0;
    for (int d = 0; d + 1 < rank; ++d) {
      offa += index[d] * sa[d];
      offb += index[d] * sb[d];
    }
    float* yo = y + o * inner;
    for (int64_t i = 0; i < inner; ++i) yo[i] = f(x[offa + i * ia], z[offb + i * ib]);
    for (int d = rank - 2; d >= 0; --d) {
      if (++index[d] < out_shape[d]) break;
      index[d] = 0;
    }
  }
  return out;
}

}  // namespace cairn::detail
