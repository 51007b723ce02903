#include "cairn/losses.h"

#include <cmath>
#include <sstream>

#include "cairn/ops.h"
#include "loss_util.h"

namespace cairn {

namespace loss_detail {

void require_inputs(const Loss& loss, const Tensor& y_true, const Tensor& y_pred) {
  if (!y_true.defined() || !y_pred.defined())
    throw InvalidArgument(loss.class_name() + ": y_true and y_pred must be defined tensors");
  if (y_pred.dtype() != DType::Float32)
    throw InvalidArgument(loss.class_name() + ": y_pred must be float32, got " +
                          std::string(dtype_name(y_pred.dtype())));
}

void shape_mismatch(const Loss& loss, const Tensor& y_true, const Tensor& y_pred) {
  throw ShapeError(loss.class_name() + ": y_true of shape " + shape_str(y_true.shape()) +
                   " does not match y_pred of shape " + shape_str(y_pred.shape()));
}

Shape without_last(Shape shape) {
  shape.pop_back();
  return shape;
}

Tensor as_float32(const Tensor& y_true) {
  if (y_true.dtype() == DType::Float32) return y_true;
  return y_true.to(DType::Float32);
}

Tensor targets_like(const Loss& loss, const Tensor& y_true, const Tensor& y_pred) {
  const Shape& t = y_true.shape();
  const Shape& p = y_pred.shape();
  const bool compatible = t == p || (t.size() == p.size() + 1 && t.back() == 1 && without_last(t) == p) ||
                          (p.size() == t.size() + 1 && p.back() == 1 && without_last(p) == t);
  if (!compatible) shape_mismatch(loss, y_true, y_pred);
  Tensor target = as_float32(y_true);
  return t == p ? target : ops::reshape(target, p);
}

Tensor same_shape_targets(const Loss& loss, const Tensor& y_true, const Tensor& y_pred) {
  if (y_pred.rank() == 0 || y_true.shape() != y_pred.shape()) shape_mismatch(loss, y_true, y_pred);
  return as_float32(y_true);
}

Tensor mean_over_last_axis(const Tensor& elementwise) {
  return elementwise.rank() >= 2 ? ops::mean(elementwise, {elementwise.rank() - 1}) : elementwise;
}

Tensor sum_over_last_axis(const Tensor& elementwise) {
  return elementwise.rank() >= 2 ? ops::sum(elementwise, {elementwise.rank() - 1}) : elementwise;
}

Tensor smooth_labels(const Tensor& y_true, double label_smoothing, double classes) {
  if (label_smoothing == 0) return y_true;
  return ops::add_scalar(ops::scale(y_true, 1.0 - label_smoothing), label_smoothing / classes);
}

void require_label_smoothing(const std::string& loss, double label_smoothing) {
  if (!(label_smoothing >= 0 && label_smoothing <= 1))
    throw InvalidArgument(loss + ": label_smoothing must be in [0, 1], got " + std::to_string(label_smoothing));
}

}  // namespace loss_detail

using namespace loss_detail;

namespace {
// The class ids in y_true as a flat int64 tensor, each checked against [0, classes).
Tensor class_ids(const Loss& loss, const Tensor& y_true, int64_t classes) {
  Tensor ids;
  switch (y_true.dtype()) {
    case DType::Int32:
    case DType::Int64:
    case DType::UInt8:
      ids = y_true.to(DType::Int64);
      break;
    case DType::Float32:
    case DType::Float64: {
      // Keras casts float labels to integers; only integral values are meaningful class ids.
      Tensor values = y_true.to(DType::Float64);
      const double* v = values.data<double>();
      for (int64_t i = 0; i < values.numel(); ++i)
        if (!(std::floor(v[i]) == v[i]) || std::fabs(v[i]) > 9.0e15) {
          std::ostringstream shown;
          shown << v[i];
          throw InvalidArgument(loss.class_name() + ": label " + shown.str() + " at index " + std::to_string(i) +
                                " is not an integer class id");
        }
      ids = values.to(DType::Int64);
      break;
    }
    case DType::Bool:
      throw InvalidArgument(loss.class_name() + ": labels must be integer class ids, got dtype bool");
  }
  ids = ids.reshape({ids.numel()});
  const int64_t* id = ids.data<int64_t>();
  for (int64_t i = 0; i < ids.numel(); ++i)
    if (id[i] < 0 || id[i] >= classes)
      throw InvalidArgument(loss.class_name() + ": label " + std::to_string(id[i]) + " at index " +
                            std::to_string(i) + " is outside the valid range [0, " + std::to_string(classes) +
                            ") of the " + std::to_string(classes) + " classes of y_pred");
  return ids;
}
}  // namespace

Loss::Loss(std::string class_name, std::string name)
    : class_name_(std::move(class_name)), name_(std::move(name)) {}

Tensor Loss::operator()(const Tensor& y_true, const Tensor& y_pred) const {
  return ops::mean(call(y_true, y_pred));
}

SparseCategoricalCrossentropy::SparseCategoricalCrossentropy(bool from_logits)
    : Loss("SparseCategoricalCrossentropy", "sparse_categorical_crossentropy"), from_logits_(from_logits) {}

Tensor SparseCategoricalCrossentropy::call(const Tensor& y_true, const Tensor& y_pred) const {
  require_inputs(*this, y_true, y_pred);
  if (y_pred.rank() == 0) shape_mismatch(*this, y_true, y_pred);
  const Shape samples = without_last(y_pred.shape());
  Shape samples_with_one = samples;
  samples_with_one.push_back(1);
  if (y_true.shape() != samples && y_true.shape() != samples_with_one) shape_mismatch(*this, y_true, y_pred);
  const int64_t classes = y_pred.shape().back();
  Tensor ids = class_ids(*this, y_true, classes);
  // log(p) as logits: the softmax of log(p) is p renormalized, which is what Keras computes.
  Tensor logits = from_logits_ ? y_pred : ops::log(ops::clip(y_pred, kEpsilon, 1 - kEpsilon));
  Tensor losses = ops::sparse_softmax_cross_entropy(ops::reshape(logits, {ids.numel(), classes}), ids);
  return ops::reshape(losses, samples);
}

ArgList SparseCategoricalCrossentropy::get_config() const {
  return {{"from_logits", from_logits_}};
}

CategoricalCrossentropy::CategoricalCrossentropy(bool from_logits, double label_smoothing)
    : Loss("CategoricalCrossentropy", "categorical_crossentropy"),
      from_logits_(from_logits),
      label_smoothing_(label_smoothing) {
  require_label_smoothing(class_name(), label_smoothing);
}

ArgList CategoricalCrossentropy::get_config() const {
  return {{"from_logits", from_logits_}, {"label_smoothing", label_smoothing_}};
}

Tensor CategoricalCrossentropy::call(const Tensor& y_true, const Tensor& y_pred) const {
  require_inputs(*this, y_true, y_pred);
  Tensor target = smooth_labels(same_shape_targets(*this, y_true, y_pred), label_smoothing_,
                                static_cast<double>(y_pred.shape().back()));
  const int axis = y_pred.rank() - 1;
  Tensor log_probs;
  if (from_logits_) {
    log_probs = ops::log_softmax(y_pred, axis);
  } else {
    Tensor normalized = ops::div(y_pred, ops::sum(y_pred, {axis}, /*keepdims=*/true));
    log_probs = ops::log(ops::clip(normalized, kEpsilon, 1 - kEpsilon));
  }
  return ops::neg(ops::sum(ops::mul(target, log_probs), {axis}));
}

BinaryCrossentropy::BinaryCrossentropy(bool from_logits, double label_smoothing)
    : Loss("BinaryCrossentropy", "binary_crossentropy"), from_logits_(from_logits), label_smoothing_(label_smoothing) {
  require_label_smoothing(class_name(), label_smoothing);
}

ArgList BinaryCrossentropy::get_config() const {
  return {{"from_logits", from_logits_}, {"label_smoothing", label_smoothing_}};
}

Tensor BinaryCrossentropy::call(const Tensor& y_true, const Tensor& y_pred) const {
  require_inputs(*this, y_true, y_pred);
  Tensor target = smooth_labels(targets_like(*this, y_true, y_pred), label_smoothing_, 2.0);
  if (from_logits_) return mean_over_last_axis(ops::sigmoid_cross_entropy(y_pred, target));
  Tensor p = ops::clip(y_pred, kEpsilon, 1 - kEpsilon);
  // Keras adds epsilon inside both logs on top of the clipping.
  Tensor positive = ops::mul(target, ops::log(ops::add_scalar(p, kEpsilon)));
  Tensor one_minus_p = ops::add_scalar(ops::neg(p), 1.0);
  Tensor negative =
      ops::mul(ops::add_scalar(ops::neg(target), 1.0), ops::log(ops::add_scalar(one_minus_p, kEpsilon)));
  return mean_over_last_axis(ops::neg(ops::add(positive, negative)));
}

MeanSquaredError::MeanSquaredError() : Loss("MeanSquaredError", "mean_squared_error") {}

Tensor MeanSquaredError::call(const Tensor& y_true, const Tensor& y_pred) const {
  require_inputs(*this, y_true, y_pred);
  Tensor target = targets_like(*this, y_true, y_pred);
  return mean_over_last_axis(ops::square(ops::sub(y_pred, target)));
}

}  // namespace cairn
