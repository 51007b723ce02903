#include "op_util.h"

#include <algorithm>

#include "cairn/ops.h"

namespace cairn::detail {

void require_float32(const Tensor& t, const char* op) {
  if (!t.defined()) throw InvalidArgument(std::string(op) + ": input tensor is undefined");
  if (t.dtype() != DType::Float32)
    throw InvalidArgument(std::string(op) + ": expected a float32 tensor, got " + std::string(dtype_name(t.dtype())) +
                          " of shape " + shape_str(t.shape()));
}

void require_rank(const Tensor& t, int rank, const char* op, const char* what) {
  if (t.rank() != rank)
    throw ShapeError(std::string(op) + ": expected " + what + " of rank " + std::to_string(rank) + ", got shape " +
                     shape_str(t.shape()));
}

Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op) {
  const size_t rank = std::max(a.size(), b.size());
  Shape out(rank);
  for (size_t i = 0; i < rank; ++i) {
    int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (da != db && da != 1 && db != 1)
      throw ShapeError(std::string(op) + ": incompatible shapes " + shape_str(a) + " and " + shape_str(b));
    out[i] = da == 1 ? db : da;
  }
  return out;
}

Tensor sum_to_shape(const Tensor& grad, const Shape& shape) {
  if (grad.shape() == shape) return grad;
  const int extra = grad.rank() - static_cast<int>(shape.size());
  std::vector<int> axes;
  for (int i = 0; i < grad.rank(); ++i)
    if (i < extra || (shape[i - extra] == 1 && grad.shape()[i] != 1)) axes.push_back(i);
  Tensor reduced = axes.empty() ? grad : ops::sum(grad, axes, /*keepdims=*/true);
  return reduced.reshape(shape);
}

}  // namespace cairn::detail
