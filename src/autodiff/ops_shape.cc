// Shape manipulation: reshape, transpose, concat, row slicing and gathering.
#include "op_util.h"
#include "cairn/ops.h"

namespace cairn::ops {

using detail::maybe_record;

Tensor reshape(const Tensor& a, const Shape& shape) {
  Tensor y = a.reshape(shape);
  maybe_record({a}, y, [in_shape = a.shape()](const std::vector<Tensor>& g, const std::vector<bool>&) {
    return std::vector<Tensor>{g[0].reshape(in_shape)};
  });
  return y;
}

Tensor transpose(const Tensor& a) {
  detail::require_float32(a, "transpose");
  detail::require_rank(a, 2, "transpose");
  const int64_t rows = a.dim(0), cols = a.dim(1);
  Tensor y({cols, rows}, DType::Float32);
  const float* x = a.data<float>();
  float* t = y.data<float>();
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) t[c * rows + r] = x[r * cols + c];
  maybe_record({a}, y, [](const std::vector<Tensor>& g, const std::vector<bool>&) {
    return std::vector<Tensor>{transpose(g[0])};
  });
  return y;
}

Tensor concat(const std::vector<Tensor>& tensors, int axis) {
  if (tensors.empty()) throw InvalidArgument("concat: no tensors given");
  const Tensor& first = tensors[0];
  axis = normalize_axis(axis, first.rank(), "concat");
  Shape out_shape = first.shape();
  out_shape[axis] = 0;
  for (const Tensor& t : tensors) {
    detail::require_float32(t, "concat");
    Shape a = t.shape(), b = first.shape();
    if (a.size() != b.size()) throw ShapeError("concat: ranks differ: " + shape_str(b) + " and " + shape_str(a));
    a[axis] = b[axis] = 0;
    if (a != b) throw ShapeError("concat: shapes " + shape_str(first.shape()) + " and " + shape_str(t.shape()) +
                                 " differ outside axis " + std::to_string(axis));
    out_shape[axis] += t.shape()[axis];
  }
  int64_t outer = 1, inner = 1;
  for (int i = 0; i < axis; ++i) outer *= out_shape[i];
  for (size_t i = axis + 1; i < out_shape.size(); ++i) inner *= out_shape[i];
  Tensor y(out_shape, DType::Float32);
  float* out = y.data<float>();
  const int64_t out_row = out_shape[axis] * inner;
  int64_t offset = 0;
  for (const Tensor& t : tensors) {
    const int64_t row = t.shape()[axis] * inner;
    const float* x = t.data<float>();
    for (int64_t o = 0; o < outer; ++o) std::copy(x + o * row, x + (o + 1) * row, out + o * out_row + offset);
    offset += row;
  }
  maybe_record(tensors, y, [tensors, axis, outer, inner, out_row](const std::vector<Tensor>& g, const std::vector<bool>& need) {
    std::vector<Tensor> grads;
    const float* gy = g[0].data<float>();
    int64_t offset = 0;
    for (size_t k = 0; k < tensors.size(); ++k) {
      const int64_t row = tensors[k].shape()[axis] * inner;
      if (need[k]) {
        Tensor gk(tensors[k].shape(), DType::Float32);
        float* p = gk.data<float>();
        for (int64_t o = 0; o < outer; ++o) std::copy(gy + o * out_row + offset, gy + o * out_row + offset + row, p + o * row);
        grads.push_back(gk);
      } else {
        grads.emplace_back();
      }
      offset += row;
    }
    return grads;
  });
  return y;
}

Tensor gather_rows(const Tensor& a, const std::vector<int64_t>& rows) {
  if (a.rank() < 1) throw ShapeError("gather_rows: expected a tensor of rank >= 1, got shape " + shape_str(a.shape()));
  Shape out_shape = a.shape();
  out_shape[0] = static_cast<int64_t>(rows.size());
  Tensor y(out_shape, a.dtype());
  const size_t row_bytes = a.numel() ? a.nbytes() / a.dim(0) : 0;
  const char* src = static_cast<const char*>(a.raw_data());
  char* dst = static_cast<char*>(y.raw_data());
  for (size_t i = 0; i < rows.size(); ++i) {
    if (rows[i] < 0 || rows[i] >= a.dim(0))
      throw InvalidArgument("gather_rows: row " + std::to_string(rows[i]) + " is out of range for shape " + shape_str(a.shape()));
    std::memcpy(dst + i * row_bytes, src + rows[i] * row_bytes, row_bytes);
  }
  if (a.dtype() == DType::Float32) {
    maybe_record({a}, y, [shape = a.shape(), rows, row_bytes](const std::vector<Tensor>& g, const std::vector<bool>&) {
      Tensor ga(shape, DType::Float32);
      const int64_t width = static_cast<int64_t>(row_bytes / sizeof(float));
      const float* gy = g[0].data<float>();
      float* p = ga.data<float>();
      for (size_t i = 0; i < rows.size(); ++i)
        for (int64_t j = 0; j < width; ++j) p[rows[i] * width + j] += gy[i * width + j];
      return std::vector<Tensor>{ga};
    });
  }
  return y;
}

Tensor slice_rows(const Tensor& a, int64_t begin, int64_t end) {
  if (a.rank() < 1 || begin < 0 || end < begin || end > a.dim(0))
    throw InvalidArgument("slice_rows: [" + std::to_string(begin) + ", " + std::to_string(end) +
                          ") is out of range for shape " + shape_str(a.shape()));
  std::vector<int64_t> rows;
  for (int64_t r = begin; r < end; ++r) rows.push_back(r);
  return gather_rows(a, rows);
}

}  // namespace cairn::ops
