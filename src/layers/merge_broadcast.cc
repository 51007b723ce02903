#include "merge_broadcast.h"

#include <algorithm>

#include "cairn/ops.h"

namespace cairn {

namespace merge_broadcast {

namespace {

Shape expanded(const Shape& shape, size_t rank) {
  if (shape.empty() || shape.size() >= rank) return shape;
  Shape out = shape;
  out.insert(out.begin() + 1, rank - shape.size(), 1);
  return out;
}

}  // namespace

Merged output_shape(const std::vector<Shape>& input_shapes) {
  size_t rank = 0;
  for (const Shape& s : input_shapes) rank = std::max(rank, s.size());
  Shape out = expanded(input_shapes[0], rank);
  for (size_t i = 1; i < input_shapes.size(); ++i) {
    const Shape s = expanded(input_shapes[i], rank);
    if (s.size() != out.size())
      return {{}, "inputs must have the same shape or broadcast, got " + shape_str(input_shapes[0]) + " and " +
                      shape_str(input_shapes[i])};
    for (size_t d = 0; d < rank; ++d) {
      if (out[d] == s[d] || s[d] == 1) continue;
      if (out[d] == 1) {
        out[d] = s[d];
      } else if (out[d] < 0 || s[d] < 0) {
        out[d] = -1;  // unknown: checked again when the sizes are known
      } else {
        return {{}, "inputs must have the same shape or broadcast, got " + shape_str(input_shapes[0]) + " and " +
                        shape_str(input_shapes[i])};
      }
    }
  }
  return {out, ""};
}

std::vector<Tensor> at_common_rank(const std::vector<Tensor>& xs) {
  size_t rank = 0;
  for (const Tensor& x : xs) rank = std::max(rank, x.shape().size());
  std::vector<Tensor> out;
  for (const Tensor& x : xs) out.push_back(x.shape().size() == rank ? x : ops::reshape(x, expanded(x.shape(), rank)));
  return out;
}

}  // namespace merge_broadcast

}  // namespace cairn
