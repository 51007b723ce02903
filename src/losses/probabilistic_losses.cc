// Keras's probabilistic losses beyond the cross-entropies: KL divergence, Poisson, and the focal
// cross-entropies. Formulas as Keras 3's keras/src/losses/losses.py.
#include <cmath>

#include "cairn/losses.h"
#include "cairn/ops.h"
#include "loss_util.h"

namespace cairn {

using namespace loss_detail;

KLDivergence::KLDivergence() : Loss("KLDivergence", "kl_divergence") {}

Tensor KLDivergence::call(const Tensor& y_true, const Tensor& y_pred) const {
  require_inputs(*this, y_true, y_pred);
  Tensor target = ops::clip(targets_like(*this, y_true, y_pred), kEpsilon, 1.0);
  Tensor p = ops::clip(y_pred, kEpsilon, 1.0);
  return sum_over_last_axis(ops::mul(target, ops::log(ops::div(target, p))));
}

Poisson::Poisson() : Loss("Poisson", "poisson") {}

Tensor Poisson::call(const Tensor& y_true, const Tensor& y_pred) const {
  require_inputs(*this, y_true, y_pred);
  Tensor target = targets_like(*this, y_true, y_pred);
  return mean_over_last_axis(ops::sub(y_pred, ops::mul(target, ops::log(ops::add_scalar(y_pred, kEpsilon)))));
}

namespace {
void require_focal_arguments(const std::string& loss, double alpha, double gamma, double label_smoothing) {
  if (!std::isfinite(alpha)) throw InvalidArgument(loss + ": alpha must be finite, got " + std::to_string(alpha));
  if (!(gamma >= 0 && std::isfinite(gamma)))
    throw InvalidArgument(loss + ": gamma must be a finite number >= 0, got " + std::to_string(gamma));
  require_label_smoothing(loss, label_smoothing);
}
}  // namespace

CategoricalFocalCrossentropy::CategoricalFocalCrossentropy(double alpha, double gamma, bool from_logits,
                                                           double label_smoothing)
    : Loss("CategoricalFocalCrossentropy", "categorical_focal_crossentropy"),
      alpha_(alpha),
      gamma_(gamma),
      from_logits_(from_logits),
      label_smoothing_(label_smoothing) {
  require_focal_arguments(class_name(), alpha, gamma, label_smoothing);
}

ArgList CategoricalFocalCrossentropy::get_config() const {
  return {{"from_logits", from_logits_}, {"label_smoothing", label_smoothing_}, {"axis", -1.0},
          {"alpha", alpha_},             {"gamma", gamma_}};
}

Tensor CategoricalFocalCrossentropy::call(const Tensor& y_true, const Tensor& y_pred) const {
  require_inputs(*this, y_true, y_pred);
  const int axis = y_pred.rank() - 1;
  Tensor target = smooth_labels(same_shape_targets(*this, y_true, y_pred), label_smoothing_,
                                static_cast<double>(y_pred.shape().back()));
  Tensor probabilities = from_logits_ ? ops::softmax(y_pred, axis) : y_pred;
  Tensor normalized = ops::div(probabilities, ops::sum(probabilities, {axis}, /*keepdims=*/true));
  Tensor output = ops::clip(normalized, kEpsilon, 1 - kEpsilon);
  Tensor cross_entropy = ops::neg(ops::mul(target, ops::log(output)));
  Tensor modulation = ops::scale(ops::power(ops::add_scalar(ops::neg(output), 1.0), gamma_), alpha_);
  return ops::sum(ops::mul(modulation, cross_entropy), {axis});
}

BinaryFocalCrossentropy::BinaryFocalCrossentropy(bool apply_class_balancing, double alpha, double gamma,
                                                 bool from_logits, double label_smoothing)
    : Loss("BinaryFocalCrossentropy", "binary_focal_crossentropy"),
      apply_class_balancing_(apply_class_balancing),
      alpha_(alpha),
      gamma_(gamma),
      from_logits_(from_logits),
      label_smoothing_(label_smoothing) {
  require_focal_arguments(class_name(), alpha, gamma, label_smoothing);
}

ArgList BinaryFocalCrossentropy::get_config() const {
  return {{"from_logits", from_logits_},
          {"label_smoothing", label_smoothing_},
          {"axis", -1.0},
          {"apply_class_balancing", apply_class_balancing_},
          {"alpha", alpha_},
          {"gamma", gamma_}};
}

Tensor BinaryFocalCrossentropy::call(const Tensor& y_true, const Tensor& y_pred) const {
  require_inputs(*this, y_true, y_pred);
  Tensor target = smooth_labels(targets_like(*this, y_true, y_pred), label_smoothing_, 2.0);
  Tensor p = from_logits_ ? ops::sigmoid(y_pred) : y_pred;
  // Keras 3's backend binary_crossentropy: clip, then -(y log p + (1 - y) log(1 - p)).
  Tensor clipped = ops::clip(p, kEpsilon, 1 - kEpsilon);
  Tensor one_minus_target = ops::add_scalar(ops::neg(target), 1.0);
  Tensor bce = ops::neg(ops::add(ops::mul(target, ops::log(clipped)),
                                 ops::mul(one_minus_target, ops::log(ops::add_scalar(ops::neg(clipped), 1.0)))));
  // p_t from the unclipped probabilities, as Keras.
  Tensor p_t = ops::add(ops::mul(target, p), ops::mul(one_minus_target, ops::add_scalar(ops::neg(p), 1.0)));
  Tensor focal = ops::mul(ops::power(ops::add_scalar(ops::neg(p_t), 1.0), gamma_), bce);
  if (apply_class_balancing_) {
    Tensor weight = ops::add(ops::scale(target, alpha_), ops::scale(one_minus_target, 1.0 - alpha_));
    focal = ops::mul(weight, focal);
  }
  return mean_over_last_axis(focal);
}

}  // namespace cairn
