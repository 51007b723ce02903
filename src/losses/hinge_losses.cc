// Keras's hinge losses (maximum-margin classifiers): hinge, squared hinge and categorical hinge.
#include "cairn/losses.h"
#include "cairn/ops.h"
#include "loss_util.h"

namespace cairn {

using namespace loss_detail;

namespace {
// Keras's convert_binary_labels_to_hinge: labels that are all 0 or 1 become -1 or 1; others stay.
Tensor hinge_labels(const Tensor& target) {
  for (float v : target.span<float>())
    if (v != 0.f && v != 1.f) return target;
  return ops::add_scalar(ops::scale(target, 2.0), -1.0);
}

// max(1 - y_true y_pred, 0) elementwise.
Tensor margins(const Loss& loss, const Tensor& y_true, const Tensor& y_pred) {
  require_inputs(loss, y_true, y_pred);
  Tensor labels = hinge_labels(targets_like(loss, y_true, y_pred));
  return ops::relu(ops::add_scalar(ops::neg(ops::mul(labels, y_pred)), 1.0));
}
}  // namespace

Hinge::Hinge() : Loss("Hinge", "hinge") {}

Tensor Hinge::call(const Tensor& y_true, const Tensor& y_pred) const {
  return mean_over_last_axis(margins(*this, y_true, y_pred));
}

SquaredHinge::SquaredHinge() : Loss("SquaredHinge", "squared_hinge") {}

Tensor SquaredHinge::call(const Tensor& y_true, const Tensor& y_pred) const {
  return mean_over_last_axis(ops::square(margins(*this, y_true, y_pred)));
}

CategoricalHinge::CategoricalHinge() : Loss("CategoricalHinge", "categorical_hinge") {}

Tensor CategoricalHinge::call(const Tensor& y_true, const Tensor& y_pred) const {
  require_inputs(*this, y_true, y_pred);
  Tensor target = same_shape_targets(*this, y_true, y_pred);
  const int axis = y_pred.rank() - 1;
  Tensor positive = ops::sum(ops::mul(target, y_pred), {axis});
  Tensor negative = ops::reduce_max(ops::mul(ops::add_scalar(ops::neg(target), 1.0), y_pred), {axis});
  return ops::relu(ops::add_scalar(ops::sub(negative, positive), 1.0));
}

}  // namespace cairn
