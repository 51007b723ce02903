#include "cairn/layers/elementwise_merge.h"

#include <algorithm>

#include "cairn/error.h"
#include "cairn/ops.h"
#include "merge_broadcast.h"
#include "merge_masks.h"

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

Tensor ElementwiseMerge::call_multi_with_masks(const std::vector<Tensor>& xs, const std::vector<Tensor>& masks,
                                               bool training) {
  const MaskedEntries treatment = masked_entries();
  if (treatment == MaskedEntries::Used) return call_multi(xs, training);
  std::vector<Shape> shapes;
  for (const Tensor& x : xs) shapes.push_back(x.shape());
  compute_output_shape(shapes);
  const std::vector<Tensor> inputs = merge_broadcast::at_common_rank(xs);
  // Each mask over its input's entries (1 where an entry counts), broadcast over the features.
  std::vector<Tensor> keep(inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (!masks[i].defined()) continue;
    Shape spread = masks[i].shape();
    spread.resize(static_cast<size_t>(inputs[i].rank()), 1);
    keep[i] = ops::reshape(masks[i].to(inputs[i].dtype()), spread);
  }
  // Keras's where(m, a, b) as a * m + b * (1 - m): exactly a or b (finite values), the gradient to the one taken.
  auto where = [](const Tensor& m, const Tensor& a, const Tensor& b) {
    return ops::add(ops::mul(a, m), ops::mul(b, ops::add_scalar(ops::neg(m), 1.0)));
  };
  Tensor output, output_mask;
  if (treatment == MaskedEntries::One) {
    const bool every_input_masked = std::all_of(keep.begin(), keep.end(), [](const Tensor& m) { return m.defined(); });
    for (size_t i = 0; i < inputs.size(); ++i) {
      Tensor x = inputs[i];
      if (keep[i].defined()) {
        x = ops::add(ops::mul(x, keep[i]), ops::add_scalar(ops::neg(keep[i]), 1.0));  // where(m, x, 1)
        if (every_input_masked) output_mask = output_mask.defined() ? ops::maximum(output_mask, keep[i]) : keep[i];
      }
      output = output.defined() ? combine(output, x) : x;
    }
    if (every_input_masked) output = ops::mul(output, output_mask);  // where(any mask, output, 0)
    return finish(output, inputs.size());
  }
  // Keras's _apply_merge_op_and_or_mask: a masked entry of the next input takes the result so far, a
  // masked entry of the result so far takes the next input's.
  output = inputs[0];
  output_mask = keep[0];
  for (size_t i = 1; i < inputs.size(); ++i) {
    Tensor x = inputs[i];
    if (keep[i].defined()) x = where(keep[i], x, output);
    if (output_mask.defined()) output = where(output_mask, output, x);
    output_mask = keep[i].defined() && output_mask.defined() ? ops::maximum(output_mask, keep[i]) : Tensor();
    output = combine(output, x);
  }
  return finish(output, inputs.size());
}

Tensor ElementwiseMerge::compute_mask_multi(const std::vector<Tensor>&, const std::vector<Tensor>& masks) const {
  return merge_masks::elementwise(masks);
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
