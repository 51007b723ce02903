#include "cairn/layers/elementwise_merge.h"

#include "cairn/error.h"
#include "cairn/ops.h"
#include "merge_broadcast.h"

namespace cairn {

ElementwiseMerge::ElementwiseMerge(std::string class_name, std::string name, size_t arity)
    : Layer(std::move(class_name), std::move(name)), arity_(arity) {}

Shape ElementwiseMerge::compute_output_shape(const std::vector<Shape>& input_shapes) const {
  if (arity_ && input_shapes.size() != arity_)
    incompatible_input("a " + class_name() + " layer should be called on exactly " + std::to_string(arity_) +
                       " inputs, got " + std::to_string(input_shapes.size()));
  if (input_shapes.size() < 2)
    incompatible_input("a " + class_name() + " layer should be called on a list of at least 2 inputs");
  merge_broadcast::Merged merged = merge_broadcast::output_shape(input_shapes);
  if (!merged.error.empty()) incompatible_input(merged.error);
  return merged.shape;
}

void ElementwiseMerge::build_multi(const std::vector<Shape>& input_shapes) {
  compute_output_shape(input_shapes);
  build(input_shapes[0]);
}

Tensor ElementwiseMerge::call_multi(const std::vector<Tensor>& xs, bool) {
  std::vector<Shape> shapes;
  for (const Tensor& x : xs) shapes.push_back(x.shape());
  compute_output_shape(shapes);
  const std::vector<Tensor> inputs = merge_broadcast::at_common_rank(xs);
  Tensor combined = inputs[0];
  for (size_t i = 1; i < inputs.size(); ++i) combined = combine(combined, inputs[i]);
  return finish(combined, inputs.size());
}

Tensor Multiply::combine(const Tensor& a, const Tensor& b) const { return ops::mul(a, b); }
Tensor Subtract::combine(const Tensor& a, const Tensor& b) const { return ops::sub(a, b); }
Tensor Average::combine(const Tensor& a, const Tensor& b) const { return ops::add(a, b); }
Tensor Average::finish(const Tensor& combined, size_t inputs) const {
  return ops::scale(combined, 1.0 / static_cast<double>(inputs));
}
Tensor Maximum::combine(const Tensor& a, const Tensor& b) const { return ops::maximum(a, b); }
// min(a, b) = -max(-a, -b): the gradient goes to a where a <= b.
Tensor Minimum::combine(const Tensor& a, const Tensor& b) const {
  return ops::neg(ops::maximum(ops::neg(a), ops::neg(b)));
}

}  // namespace cairn
