// Reductions, softmax and argmax.
#include <algorithm>
#include <cmath>
#include <limits>

#include "op_util.h"
#include "cairn/ops.h"
#include "cairn/internal/tensor/cpu_dispatch.h"
#include "cairn/internal/tensor/nan_max.h"

namespace cairn::ops {

using detail::maybe_record;
using detail::require_float32;

namespace {
// Views a shape as (outer, n, inner) around one axis.
struct AxisSplit {
  int64_t outer = 1, n = 1, inner = 1;
};

AxisSplit split_at(const Shape& shape, int axis) {
  AxisSplit s;
  for (int i = 0; i < axis; ++i) s.outer *= shape[i];
  s.n = shape[axis];
  for (size_t i = axis + 1; i < shape.size(); ++i) s.inner *= shape[i];
  return s;
}

std::vector<int> normalized_axes(std::vector<int> axes, int rank, const char* op) {
  if (axes.empty())
    for (int i = 0; i < rank; ++i) axes.push_back(i);
  for (int& a : axes) a = normalize_axis(a, rank, op);
  std::sort(axes.begin(), axes.end());
  axes.erase(std::unique(axes.begin(), axes.end()), axes.end());
  return axes;
}

// y (outer, inner) = x (outer, n, inner) combined over n, starting from init.
template <class Combine>
CAIRN_DISPATCHED_KERNEL void reduce_middle_axis(AxisSplit s, const float* __restrict x, float* __restrict y, float init,
                                                Combine combine) {
  for (int64_t o = 0; o < s.outer; ++o) {
    float* yo = y + o * s.inner;
    std::fill(yo, yo + s.inner, init);
    for (int64_t k = 0; k < s.n; ++k) {
      const float* xk = x + (o * s.n + k) * s.inner;
      for (int64_t i = 0; i < s.inner; ++i) yo[i] = combine(yo[i], xk[i]);
    }
  }
}

// Reduces one axis (kept with size 1) with a combine function and an initial value.
template <class Combine>
Tensor reduce_axis(const Tensor& a, int axis, float init, Combine combine) {
  Shape out_shape = a.shape();
  out_shape[axis] = 1;
  Tensor out(out_shape, DType::Float32);
  reduce_middle_axis(split_at(a.shape(), axis), a.data<float>(), out.data<float>(), init, combine);
  return out;
}

Shape reduced_shape(const Shape& shape, const std::vector<int>& axes, bool keepdims) {
  Shape out;
  for (int i = 0; i < static_cast<int>(shape.size()); ++i) {
    bool reduced = std::find(axes.begin(), axes.end(), i) != axes.end();
    if (!reduced) out.push_back(shape[i]);
    else if (keepdims) out.push_back(1);
  }
  return out;
}

// Broadcasts g (shape with reduced axes kept as 1) back to `shape`.
Tensor expand_to(const Tensor& g, const Shape& shape) { return add(g, Tensor::zeros(shape)); }

// Sorted axes that follow each other (a GlobalAveragePooling2D's rows and columns) read as one axis.
bool consecutive(const std::vector<int>& axes) {
  return !axes.empty() && axes.back() - axes.front() + 1 == static_cast<int>(axes.size());
}

// The shape as (outer, n, inner) around the axes first..last.
AxisSplit split_around(const Shape& shape, int first, int last) {
  AxisSplit s;
  for (int i = 0; i < first; ++i) s.outer *= shape[i];
  s.n = 1;
  for (int i = first; i <= last; ++i) s.n *= shape[i];
  for (size_t i = last + 1; i < shape.size(); ++i) s.inner *= shape[i];
  return s;
}

// out (outer, n, inner) = g (outer, inner) repeated n times: the gradient of a sum over the middle.
Tensor repeat_middle_axis(const Tensor& g, AxisSplit s, const Shape& shape) {
  Tensor out(shape, DType::Float32);
  const float* src = g.data<float>();
  float* dst = out.data<float>();
  for (int64_t o = 0; o < s.outer; ++o) {
    const float* row = src + o * s.inner;
    float* block = dst + o * s.n * s.inner;
    if (s.inner == 1) {
      std::fill(block, block + s.n, row[0]);
    } else {
      for (int64_t k = 0; k < s.n; ++k) std::copy(row, row + s.inner, block + k * s.inner);
    }
  }
  return out;
}
}  // namespace

Tensor sum(const Tensor& a, std::vector<int> axes, bool keepdims) {
  require_float32(a, "sum");
  axes = normalized_axes(std::move(axes), a.rank(), "sum");
  const auto plus = [](float acc, float x) { return acc + x; };
  Tensor y;
  const bool middle = consecutive(axes);
  const AxisSplit split = middle ? split_around(a.shape(), axes.front(), axes.back()) : AxisSplit{};
  if (middle && split.inner > 1) {
    // One pass, vectorized over the trailing axes. (With nothing after the axes this would be one
    // sequential float sum; reducing axis by axis below keeps more precision there.)
    y = Tensor(reduced_shape(a.shape(), axes, keepdims), DType::Float32);
    reduce_middle_axis(split, a.data<float>(), y.data<float>(), 0.f, plus);
  } else {
    y = a;
    for (int axis : axes) y = reduce_axis(y, axis, 0.f, plus);
    y = (axes.empty() ? y.clone() : y).reshape(reduced_shape(a.shape(), axes, keepdims));
  }
  maybe_record({a}, y, [shape = a.shape(), axes, middle, split](const std::vector<Tensor>& g, const std::vector<bool>&) {
    if (middle) return std::vector<Tensor>{repeat_middle_axis(g[0], split, shape)};
    return std::vector<Tensor>{expand_to(g[0].reshape(reduced_shape(shape, axes, true)), shape)};
  });
  return y;
}

Tensor mean(const Tensor& a, std::vector<int> axes, bool keepdims) {
  require_float32(a, "mean");
  std::vector<int> norm = normalized_axes(axes, a.rank(), "mean");
  int64_t count = 1;
  for (int ax : norm) count *= a.shape()[ax];
  return scale(sum(a, norm, keepdims), count ? 1.0 / static_cast<double>(count) : 0.0);
}

Tensor reduce_max(const Tensor& a, std::vector<int> axes, bool keepdims) {
  require_float32(a, "reduce_max");
  axes = normalized_axes(std::move(axes), a.rank(), "reduce_max");
  Tensor kept = a;
  for (int axis : axes)
    kept = reduce_axis(kept, axis, -std::numeric_limits<float>::infinity(),
                       [](float m, float x) { return kernels::max_propagating_nan(m, x); });
  Tensor y = (axes.empty() ? kept.clone() : kept).reshape(reduced_shape(a.shape(), axes, keepdims));
  maybe_record({a}, y, [a, kept, axes](const std::vector<Tensor>& g, const std::vector<bool>&) {
    // The gradient goes to every element equal to the maximum (as TensorFlow does).
    Tensor is_max = equal(a, kept).to(DType::Float32);
    Tensor gk = g[0].reshape(kept.shape());
    return std::vector<Tensor>{mul(is_max, gk)};
  });
  return y;
}

Tensor softmax(const Tensor& a, int axis) {
  require_float32(a, "softmax");
  axis = normalize_axis(axis, a.rank(), "softmax");
  AxisSplit s = split_at(a.shape(), axis);
  Tensor y(a.shape(), DType::Float32);
  const float* x = a.data<float>();
  float* p = y.data<float>();
  for (int64_t o = 0; o < s.outer; ++o)
    for (int64_t i = 0; i < s.inner; ++i) {
      const int64_t base = o * s.n * s.inner + i;
      float m = -std::numeric_limits<float>::infinity();
      for (int64_t k = 0; k < s.n; ++k) m = std::max(m, x[base + k * s.inner]);
      float total = 0.f;
      for (int64_t k = 0; k < s.n; ++k) total += p[base + k * s.inner] = std::exp(x[base + k * s.inner] - m);
      for (int64_t k = 0; k < s.n; ++k) p[base + k * s.inner] /= total;
    }
  maybe_record({a}, y, [y, axis](const std::vector<Tensor>& g, const std::vector<bool>&) {
    // dx = y * (g - sum(g * y, axis))
    Tensor gy = mul(g[0], y);
    return std::vector<Tensor>{mul(y, sub(g[0], sum(gy, {axis}, true)))};
  });
  return y;
}

Tensor log_softmax(const Tensor& a, int axis) {
  require_float32(a, "log_softmax");
  axis = normalize_axis(axis, a.rank(), "log_softmax");
  AxisSplit s = split_at(a.shape(), axis);
  Tensor y(a.shape(), DType::Float32);
  const float* x = a.data<float>();
  float* out = y.data<float>();
  for (int64_t o = 0; o < s.outer; ++o)
    for (int64_t i = 0; i < s.inner; ++i) {
      const int64_t base = o * s.n * s.inner + i;
      float m = -std::numeric_limits<float>::infinity();
      for (int64_t k = 0; k < s.n; ++k) m = std::max(m, x[base + k * s.inner]);
      double total = 0;
      for (int64_t k = 0; k < s.n; ++k) total += std::exp(x[base + k * s.inner] - m);
      // Subtract the max first: x - m is exact, while x - (m + log_total) would round at large x.
      const float log_total = static_cast<float>(std::log(total));
      for (int64_t k = 0; k < s.n; ++k) out[base + k * s.inner] = (x[base + k * s.inner] - m) - log_total;
    }
  maybe_record({a}, y, [y, axis](const std::vector<Tensor>& g, const std::vector<bool>&) {
    // dx = g - softmax * sum(g, axis)
    Tensor probs = exp(y);
    return std::vector<Tensor>{sub(g[0], mul(probs, sum(g[0], {axis}, true)))};
  });
  return y;
}

Tensor argmax(const Tensor& a, int axis) {
  Tensor af = a.dtype() == DType::Float32 ? a : a.to(DType::Float32);
  axis = normalize_axis(axis, a.rank(), "argmax");
  AxisSplit s = split_at(a.shape(), axis);
  Shape out_shape = a.shape();
  out_shape.erase(out_shape.begin() + axis);
  Tensor y(out_shape, DType::Int64);
  const float* x = af.data<float>();
  int64_t* idx = y.data<int64_t>();
  for (int64_t o = 0; o < s.outer; ++o)
    for (int64_t i = 0; i < s.inner; ++i) {
      const int64_t base = o * s.n * s.inner + i;
      int64_t best = 0;
      for (int64_t k = 1; k < s.n; ++k)
        if (x[base + k * s.inner] > x[base + best * s.inner]) best = k;
      idx[o * s.inner + i] = best;
    }
  return y;
}

}  // namespace cairn::ops
