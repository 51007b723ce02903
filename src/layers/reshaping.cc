#include "cairn/layers/reshaping.h"

#include <algorithm>

#include "cairn/error.h"
#include "cairn/ops.h"

namespace cairn {

namespace {

// A target shape as Keras writes it, -1 for the inferred dimension: (3, -1).
std::string target_str(const Shape& shape) {
  std::string out = "(";
  for (size_t i = 0; i < shape.size(); ++i) out += (i ? ", " : "") + std::to_string(shape[i]);
  return out + (shape.size() == 1 ? ",)" : ")");
}

}  // namespace

Reshape::Reshape(Shape target_shape, std::string name)
    : Layer("Reshape", std::move(name)), target_shape_(std::move(target_shape)) {
  if (std::count(target_shape_.begin(), target_shape_.end(), -1) > 1)
    throw InvalidArgument("Reshape: target_shape " + target_str(target_shape_) + " may have at most one -1");
  for (int64_t d : target_shape_)
    if (d == 0 || d < -1)
      throw InvalidArgument("Reshape: target_shape " + target_str(target_shape_) +
                            " must have positive dimensions (and at most one -1)");
}

Shape Reshape::compute_output_shape(const Shape& input_shape) const {
  Shape out{input_shape[0]};
  out.insert(out.end(), target_shape_.begin(), target_shape_.end());
  auto unknown = std::find(out.begin() + 1, out.end(), -1);
  if (unknown == out.end()) return out;
  int64_t features = 1, known = 1;
  for (size_t i = 1; i < input_shape.size(); ++i) {
    if (input_shape[i] < 0) return out;  // stays unknown
    features *= input_shape[i];
  }
  for (int64_t d : target_shape_)
    if (d != -1) known *= d;
  *unknown = features / known;
  return out;
}

void Reshape::check_input(const Shape& input_shape) const {
  if (input_shape.empty()) incompatible_input("expected min_ndim=1, found ndim=0. Full shape received: ()");
  int64_t features = 1, target = 1;
  bool known = true;
  for (size_t i = 1; i < input_shape.size(); ++i) {
    if (input_shape[i] < 0) known = false;
    features *= input_shape[i];
  }
  const bool has_unknown = std::count(target_shape_.begin(), target_shape_.end(), -1) == 1;
  for (int64_t d : target_shape_)
    if (d != -1) target *= d;
  if (known && (has_unknown ? features % target != 0 : features != target))
    incompatible_input("total size of the input " + shape_str(input_shape) + " (" + std::to_string(features) +
                       " per sample) does not fit target_shape " + target_str(target_shape_));
}

Tensor Reshape::call(const Tensor& x, bool) {
  Shape out = compute_output_shape(x.shape());
  out[0] = x.shape()[0];
  return ops::reshape(x, out);
}

Permute::Permute(std::vector<int> dims, std::string name) : Layer("Permute", std::move(name)), dims_(std::move(dims)) {
  std::vector<int> sorted = dims_;
  std::sort(sorted.begin(), sorted.end());
  for (size_t i = 0; i < sorted.size(); ++i)
    if (sorted[i] != static_cast<int>(i) + 1) {
      std::string text;
      for (int d : dims_) text += (text.empty() ? "" : ", ") + std::to_string(d);
      throw InvalidArgument("Permute: invalid permutation argument `dims` (" + text + "): it must be a permutation of 1.." +
                            std::to_string(dims_.size()) + " (the batch axis is not permuted)");
    }
}

void Permute::check_input(const Shape& input_shape) const {
  if (input_shape.size() != dims_.size() + 1)
    incompatible_input("expected ndim=" + std::to_string(dims_.size() + 1) + ", found ndim=" +
                       std::to_string(input_shape.size()) + ". Full shape received: " + shape_str(input_shape));
}

Shape Permute::compute_output_shape(const Shape& input_shape) const {
  Shape out{input_shape[0]};
  for (int d : dims_) out.push_back(input_shape[d]);
  return out;
}

Tensor Permute::call(const Tensor& x, bool) {
  std::vector<int> perm{0};
  perm.insert(perm.end(), dims_.begin(), dims_.end());
  return ops::permute(x, perm);
}

RepeatVector::RepeatVector(int64_t n, std::string name) : Layer("RepeatVector", std::move(name)), n_(n) {
  if (n <= 0) throw InvalidArgument("RepeatVector: n must be a positive integer, got " + std::to_string(n));
}

void RepeatVector::check_input(const Shape& input_shape) const {
  if (input_shape.size() != 2)
    incompatible_input("expected ndim=2, found ndim=" + std::to_string(input_shape.size()) +
                       ". Full shape received: " + shape_str(input_shape));
}

Shape RepeatVector::compute_output_shape(const Shape& input_shape) const { return {input_shape[0], n_, input_shape[1]}; }

Tensor RepeatVector::call(const Tensor& x, bool) {
  const Tensor row = ops::reshape(x, {x.shape()[0], 1, x.shape()[1]});
  return ops::concat(std::vector<Tensor>(static_cast<size_t>(n_), row), 1);
}

}  // namespace cairn
