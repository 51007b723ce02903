#include "cairn/layers/merge.h"

#include <algorithm>

#include "cairn/error.h"
#include "cairn/ops.h"
#include "merge_broadcast.h"
#include "merge_masks.h"

namespace cairn {

namespace merge_masks {

Tensor elementwise(const std::vector<Tensor>& masks) {
  for (const Tensor& m : masks)
    if (!m.defined()) return Tensor();
  // Masks of inputs that broadcast broadcast as Keras's logical_or does (numpy's rule).
  Tensor combined = masks[0].to(DType::Float32);
  for (size_t i = 1; i < masks.size(); ++i) combined = ops::maximum(combined, masks[i].to(DType::Float32));
  return combined;
}

Tensor concatenated(const std::vector<Tensor>& xs, const std::vector<Tensor>& masks, int axis) {
  if (std::none_of(masks.begin(), masks.end(), [](const Tensor& m) { return m.defined(); })) return Tensor();
  std::vector<Tensor> spread;
  for (size_t i = 0; i < xs.size(); ++i) {
    const Tensor ones = Tensor::ones(xs[i].shape());
    if (!masks[i].defined()) {
      spread.push_back(ones);
      continue;
    }
    Shape leading = masks[i].shape();
    leading.resize(xs[i].shape().size(), 1);
    spread.push_back(ops::mul(ones, ops::reshape(masks[i].to(DType::Float32), leading)));
  }
  return ops::reduce_max(ops::concat(spread, axis), {-1});
}

}  // namespace merge_masks

Concatenate::Concatenate(int axis, std::string name) : Layer("Concatenate", std::move(name)), axis_(axis) {}

Shape Concatenate::compute_output_shape(const std::vector<Shape>& input_shapes) const {
  if (input_shapes.size() < 2) incompatible_input("a Concatenate layer should be called on a list of at least 2 inputs");
  Shape out = input_shapes[0];
  const int axis = normalize_axis(axis_, static_cast<int>(out.size()), "Concatenate");
  for (size_t i = 1; i < input_shapes.size(); ++i) {
    Shape a = input_shapes[i], b = input_shapes[0];
    if (a.size() != b.size()) incompatible_input("inputs have different ranks: " + shape_str(b) + " and " + shape_str(a));
    for (size_t d = 1; d < a.size(); ++d)
      if (static_cast<int>(d) != axis && a[d] != b[d])
        incompatible_input("a Concatenate layer requires inputs with matching shapes except for the concatenation axis. "
                           "Received: input_shape=" + shape_str(b) + " and " + shape_str(a));
    out[axis] = (out[axis] < 0 || a[axis] < 0) ? -1 : out[axis] + a[axis];
  }
  return out;
}

void Concatenate::build_multi(const std::vector<Shape>& input_shapes) {
  compute_output_shape(input_shapes);
  build(input_shapes[0]);
}

Tensor Concatenate::call_multi(const std::vector<Tensor>& xs, bool) { return ops::concat(xs, axis_); }

Tensor Concatenate::compute_mask_multi(const std::vector<Tensor>& xs, const std::vector<Tensor>& masks) const {
  return merge_masks::concatenated(xs, masks, axis_);
}

Add::Add(std::string name) : Layer("Add", std::move(name)) {}

Shape Add::compute_output_shape(const std::vector<Shape>& input_shapes) const {
  if (input_shapes.size() < 2) incompatible_input("an Add layer should be called on a list of at least 2 inputs");
  merge_broadcast::Merged merged = merge_broadcast::output_shape(input_shapes);
  if (!merged.error.empty()) incompatible_input(merged.error);
  return merged.shape;
}

void Add::build_multi(const std::vector<Shape>& input_shapes) {
  compute_output_shape(input_shapes);
  build(input_shapes[0]);
}

Tensor Add::compute_mask_multi(const std::vector<Tensor>&, const std::vector<Tensor>& masks) const {
  return merge_masks::elementwise(masks);
}

Tensor Add::call_multi(const std::vector<Tensor>& xs, bool) {
  std::vector<Shape> shapes;
  for (const Tensor& x : xs) shapes.push_back(x.shape());
  compute_output_shape(shapes);
  const std::vector<Tensor> inputs = merge_broadcast::at_common_rank(xs);
  Tensor sum = inputs[0];
  for (size_t i = 1; i < inputs.size(); ++i) sum = ops::add(sum, inputs[i]);
  return sum;
}

}  // namespace cairn
