// permute and slice: moving and cutting axes (Keras's Permute layer, recurrences step by step, gates).
#include <algorithm>

#include "op_util.h"
#include "cairn/error.h"
#include "cairn/ops.h"

namespace cairn::ops {

Tensor permute(const Tensor& a, const std::vector<int>& perm) {
  detail::require_float32(a, "permute");
  const int rank = static_cast<int>(a.rank());
  std::vector<bool> seen(rank, false);
  bool valid = static_cast<int>(perm.size()) == rank;
  for (int axis : perm) {
    if (!valid || axis < 0 || axis >= rank || seen[axis]) {
      valid = false;
      break;
    }
    seen[axis] = true;
  }
  if (!valid) {
    std::string text;
    for (int axis : perm) text += (text.empty() ? "" : ", ") + std::to_string(axis);
    throw InvalidArgument("permute: (" + text + ") is not a permutation of the axes of a tensor of shape " +
                          shape_str(a.shape()));
  }
  Shape out_shape(rank);
  for (int i = 0; i < rank; ++i) out_shape[i] = a.shape()[perm[i]];
  Tensor y(out_shape, DType::Float32);
  const int64_t n = a.numel();
  if (n > 0) {
    // in_strides[perm[i]] walked in output order; the innermost output axis is the tight loop.
    std::vector<int64_t> in_strides(rank, 1);
    for (int d = rank - 2; d >= 0; --d) in_strides[d] = in_strides[d + 1] * a.shape()[d + 1];
    std::vector<int64_t> stride(rank);
    for (int i = 0; i < rank; ++i) stride[i] = in_strides[perm[i]];
    const float* x = a.data<float>();
    float* out = y.data<float>();
    const int64_t inner = rank ? out_shape[rank - 1] : 1;
    const int64_t inner_stride = rank ? stride[rank - 1] : 0;
    std::vector<int64_t> index(rank, 0);
    for (int64_t o = 0; o < n / inner; ++o) {
      int64_t offset = 0;
      for (int d = 0; d + 1 < rank; ++d) offset += index[d] * stride[d];
      float* row = out + o * inner;
      for (int64_t i = 0; i < inner; ++i) row[i] = x[offset + i * inner_stride];
      for (int d = rank - 2; d >= 0; --d) {
        if (++index[d] < out_shape[d]) break;
        index[d] = 0;
      }
    }
  }
  detail::maybe_record({a}, y, [perm](const std::vector<Tensor>& g, const std::vector<bool>&) {
    std::vector<int> inverse(perm.size());
    for (size_t i = 0; i < perm.size(); ++i) inverse[perm[i]] = static_cast<int>(i);
    return std::vector<Tensor>{permute(g[0], inverse)};
  });
  return y;
}

namespace {

// a[..., begin:end, ...] along `axis` into `out`, or with `scatter` out's values back into a zeroed `a`.
void copy_slice(const float* from, float* to, int64_t outer, int64_t axis_size, int64_t inner, int64_t begin,
                int64_t count, bool scatter) {
  for (int64_t o = 0; o < outer; ++o) {
    const int64_t big = (o * axis_size + begin) * inner, small = o * count * inner;
    if (scatter)
      std::copy_n(from + small, count * inner, to + big);
    else
      std::copy_n(from + big, count * inner, to + small);
  }
}

}  // namespace

Tensor slice(const Tensor& a, int axis, int64_t begin, int64_t end) {
  detail::require_float32(a, "slice");
  axis = normalize_axis(axis, static_cast<int>(a.rank()), "slice");
  const Shape shape = a.shape();
  if (begin < 0 || begin > end || end > shape[axis])
    throw InvalidArgument("slice: [" + std::to_string(begin) + ", " + std::to_string(end) + ") is not within axis " +
                          std::to_string(axis) + " of a tensor of shape " + shape_str(shape));
  int64_t outer = 1, inner = 1;
  for (int d = 0; d < axis; ++d) outer *= shape[d];
  for (size_t d = axis + 1; d < shape.size(); ++d) inner *= shape[d];
  Shape out_shape = shape;
  out_shape[axis] = end - begin;
  Tensor y(out_shape, DType::Float32);
  copy_slice(a.data<float>(), y.data<float>(), outer, shape[axis], inner, begin, end - begin, false);
  detail::maybe_record({a}, y, [shape, outer, inner, axis, begin, end](const std::vector<Tensor>& g,
                                                                     const std::vector<bool>&) {
    Tensor dx(shape, DType::Float32);
    copy_slice(g[0].data<float>(), dx.data<float>(), outer, shape[axis], inner, begin, end - begin, true);
    return std::vector<Tensor>{dx};
  });
  return y;
}

}  // namespace cairn::ops
