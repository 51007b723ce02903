// Keras's regression losses: mean absolute (percentage) error, mean squared logarithmic error, Huber,
// log-cosh and cosine similarity. Formulas as Keras 3's keras/src/losses/losses.py.
#include <cmath>
#include <limits>

#include "cairn/losses.h"
#include "cairn/ops.h"
#include "loss_util.h"

namespace cairn {

using namespace loss_detail;

MeanAbsoluteError::MeanAbsoluteError() : Loss("MeanAbsoluteError", "mean_absolute_error") {}

Tensor MeanAbsoluteError::call(const Tensor& y_true, const Tensor& y_pred) const {
  require_inputs(*this, y_true, y_pred);
  Tensor target = targets_like(*this, y_true, y_pred);
  return mean_over_last_axis(ops::abs(ops::sub(y_pred, target)));
}

MeanAbsolutePercentageError::MeanAbsolutePercentageError()
    : Loss("MeanAbsolutePercentageError", "mean_absolute_percentage_error") {}

Tensor MeanAbsolutePercentageError::call(const Tensor& y_true, const Tensor& y_pred) const {
  require_inputs(*this, y_true, y_pred);
  Tensor target = targets_like(*this, y_true, y_pred);
  // The denominator depends on y_true only: a constant for the gradient.
  Tensor denominator = ops::clip(ops::abs(target), kEpsilon, std::numeric_limits<float>::max());
  Tensor relative = ops::abs(ops::div(ops::sub(target, y_pred), denominator));
  return ops::scale(mean_over_last_axis(relative), 100.0);
}

MeanSquaredLogarithmicError::MeanSquaredLogarithmicError()
    : Loss("MeanSquaredLogarithmicError", "mean_squared_logarithmic_error") {}

Tensor MeanSquaredLogarithmicError::call(const Tensor& y_true, const Tensor& y_pred) const {
  require_inputs(*this, y_true, y_pred);
  Tensor target = targets_like(*this, y_true, y_pred);
  const double high = std::numeric_limits<float>::max();
  Tensor first = ops::log(ops::add_scalar(ops::clip(y_pred, kEpsilon, high), 1.0));
  Tensor second = ops::log(ops::add_scalar(ops::clip(target, kEpsilon, high), 1.0));
  return mean_over_last_axis(ops::square(ops::sub(first, second)));
}

Huber::Huber(double delta) : Loss("Huber", "huber_loss"), delta_(delta) {
  if (!(delta >= 0 && std::isfinite(delta)))
    throw InvalidArgument("Huber: delta must be a finite number >= 0, got " + std::to_string(delta));
}

ArgList Huber::get_config() const { return {{"delta", delta_}}; }

Tensor Huber::call(const Tensor& y_true, const Tensor& y_pred) const {
  require_inputs(*this, y_true, y_pred);
  Tensor error = ops::abs(ops::sub(y_pred, targets_like(*this, y_true, y_pred)));
  // With q = min(|e|, delta): q^2 / 2 + delta (|e| - q) is e^2 / 2 inside delta and
  // delta |e| - delta^2 / 2 outside, and its gradient is Keras's on both pieces.
  Tensor quadratic = ops::clip(error, 0.0, delta_);
  Tensor linear = ops::sub(error, quadratic);
  return mean_over_last_axis(ops::add(ops::scale(ops::square(quadratic), 0.5), ops::scale(linear, delta_)));
}

LogCosh::LogCosh() : Loss("LogCosh", "log_cosh") {}

Tensor LogCosh::call(const Tensor& y_true, const Tensor& y_pred) const {
  require_inputs(*this, y_true, y_pred);
  Tensor error = ops::sub(y_pred, targets_like(*this, y_true, y_pred));
  // log cosh(e) = e + softplus(-2e) - log 2, which does not overflow for large |e|.
  Tensor value = ops::add_scalar(ops::add(error, ops::softplus(ops::scale(error, -2.0))), -std::log(2.0));
  return mean_over_last_axis(value);
}

CosineSimilarity::CosineSimilarity() : Loss("CosineSimilarity", "cosine_similarity") {}

ArgList CosineSimilarity::get_config() const { return {{"axis", -1.0}}; }

namespace {
// x / max(||x||, 1e-7) over the last axis (Keras's x * min(rsqrt(sum x^2), 1e7)).
Tensor l2_normalize(const Tensor& x) {
  const int axis = x.rank() - 1;
  Tensor squares = ops::sum(ops::square(x), {axis}, /*keepdims=*/true);
  Tensor norm = ops::sqrt(ops::clip(squares, kEpsilon * kEpsilon, std::numeric_limits<float>::max()));
  return ops::div(x, norm);
}
}  // namespace

Tensor CosineSimilarity::call(const Tensor& y_true, const Tensor& y_pred) const {
  require_inputs(*this, y_true, y_pred);
  Tensor target = targets_like(*this, y_true, y_pred);
  if (y_pred.rank() == 0) shape_mismatch(*this, y_true, y_pred);
  return ops::neg(sum_over_last_axis(ops::mul(l2_normalize(target), l2_normalize(y_pred))));
}

}  // namespace cairn
