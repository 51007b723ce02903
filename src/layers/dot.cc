#include "cairn/layers/dot.h"

#include "cairn/error.h"
#include "cairn/ops.h"

namespace cairn {

namespace {

// Keras's normalize(x, axis): x * min(rsqrt(sum(x^2)), 1 / epsilon), epsilon 1e-7.
Tensor l2_normalize(const Tensor& x, int axis) {
  const Tensor inverse_norm = ops::power(ops::sum(ops::square(x), {axis}, true), -0.5);
  return ops::mul(x, ops::clip(inverse_norm, 0.0, 1e7));
}

int64_t product(const Shape& shape, size_t begin, size_t end) {
  int64_t n = 1;
  for (size_t i = begin; i < end; ++i) n *= shape[i];
  return n;
}

}  // namespace

Dot::Dot(int axes, bool normalize, std::string name) : Layer("Dot", std::move(name)), axes_{axes}, normalize_(normalize) {}

Dot::Dot(std::array<int, 2> axes, bool normalize, std::string name)
    : Layer("Dot", std::move(name)), axes_{axes[0], axes[1]}, normalize_(normalize) {}

std::array<int, 2> Dot::resolved_axes(const std::vector<Shape>& input_shapes) const {
  if (input_shapes.size() != 2)
    incompatible_input("a Dot layer should be called on a list of 2 inputs, got " + std::to_string(input_shapes.size()));
  const Shape& a = input_shapes[0];
  const Shape& b = input_shapes[1];
  if (a.size() < 2 || b.size() < 2)
    incompatible_input("cannot do batch_dot on inputs with rank < 2. Received inputs with shapes " + shape_str(a) +
                       " and " + shape_str(b));
  std::array<int, 2> axes{};
  for (size_t i = 0; i < 2; ++i) {
    const int rank = static_cast<int>(input_shapes[i].size());
    const int axis = axes_[axes_.size() == 1 ? 0 : i];
    if (axis < -rank || axis >= rank)
      incompatible_input("axes " + std::to_string(axis) + " is out of range for input " + std::to_string(i) +
                         " of shape " + shape_str(input_shapes[i]));
    axes[i] = (axis + rank) % rank;
  }
  if (axes[0] == 0 || axes[1] == 0)
    incompatible_input("cannot perform batch_dot over axis 0 (the batch axis); got axes " + std::to_string(axes[0]) +
                       ", " + std::to_string(axes[1]) + " for input shapes " + shape_str(a) + " and " + shape_str(b));
  if (a[axes[0]] >= 0 && b[axes[1]] >= 0 && a[axes[0]] != b[axes[1]])
    incompatible_input("incompatible input shapes: axis values " + std::to_string(a[axes[0]]) + " (at axis " +
                       std::to_string(axes[0]) + ") != " + std::to_string(b[axes[1]]) + " (at axis " +
                       std::to_string(axes[1]) + "). Full input shapes: " + shape_str(a) + ", " + shape_str(b));
  return axes;
}

Shape Dot::compute_output_shape(const Shape& input_shape) const {
  incompatible_input("a Dot layer should be called on a list of 2 inputs, got one of shape " + shape_str(input_shape));
}

Shape Dot::compute_output_shape(const std::vector<Shape>& input_shapes) const {
  const std::array<int, 2> axes = resolved_axes(input_shapes);
  Shape out;
  for (size_t d = 0; d < input_shapes[0].size(); ++d)
    if (static_cast<int>(d) != axes[0]) out.push_back(input_shapes[0][d]);
  for (size_t d = 1; d < input_shapes[1].size(); ++d)
    if (static_cast<int>(d) != axes[1]) out.push_back(input_shapes[1][d]);
  if (out.size() == 1) out.push_back(1);
  return out;
}

void Dot::build_multi(const std::vector<Shape>& input_shapes) {
  compute_output_shape(input_shapes);
  build(input_shapes[0]);
}

Tensor Dot::call(const Tensor& x, bool) {
  incompatible_input("a Dot layer should be called on a list of 2 inputs, got one of shape " + shape_str(x.shape()));
}

// batch_dot: the first input's axis moved last and the second's moved to 1, both flattened to
// (batch, rows, depth) and (batch, depth, columns), one batched matrix product, then the output's shape.
Tensor Dot::call_multi(const std::vector<Tensor>& xs, bool) {
  const Shape out_shape = [&] {
    Shape s = compute_output_shape(std::vector<Shape>{xs[0].shape(), xs[1].shape()});
    s[0] = xs[0].dim(0);
    return s;
  }();
  const std::array<int, 2> axes = resolved_axes({xs[0].shape(), xs[1].shape()});
  if (xs[0].dim(0) != xs[1].dim(0))
    incompatible_input("cannot do batch_dot on inputs with different batch sizes: " + shape_str(xs[0].shape()) +
                       " and " + shape_str(xs[1].shape()));
  Tensor a = normalize_ ? l2_normalize(xs[0], axes[0]) : xs[0];
  Tensor b = normalize_ ? l2_normalize(xs[1], axes[1]) : xs[1];
  std::vector<int> perm_a, perm_b{0, axes[1]};
  for (int d = 0; d < static_cast<int>(a.shape().size()); ++d)
    if (d != axes[0]) perm_a.push_back(d);
  perm_a.push_back(axes[0]);
  for (int d = 1; d < static_cast<int>(b.shape().size()); ++d)
    if (d != axes[1]) perm_b.push_back(d);
  a = ops::permute(a, perm_a);
  b = ops::permute(b, perm_b);
  const int64_t batch = a.dim(0), depth = a.shape().back();
  a = ops::reshape(a, {batch, product(a.shape(), 1, a.shape().size() - 1), depth});
  b = ops::reshape(b, {batch, depth, product(b.shape(), 2, b.shape().size())});
  return ops::reshape(ops::batch_matmul(a, b), out_shape);
}

}  // namespace cairn
