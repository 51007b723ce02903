#include <cmath>

#include "cairn/optimizers.h"

namespace cairn {

Ftrl::Ftrl(double learning_rate, double learning_rate_power, double initial_accumulator_value,
           double l1_regularization_strength, double l2_regularization_strength,
           double l2_shrinkage_regularization_strength, double beta)
    : Optimizer("Ftrl", learning_rate, /*decay=*/0.0),
      initial_accumulator_value_(initial_accumulator_value),
      l2_shrinkage_(l2_shrinkage_regularization_strength) {
  // Keras's checks and messages' ranges.
  require_range("initial_accumulator_value", initial_accumulator_value, 0, INFINITY, false);
  require_range("learning_rate_power", learning_rate_power, -INFINITY, 0, true);
  require_range("l1_regularization_strength", l1_regularization_strength, 0, INFINITY, false);
  require_range("l2_regularization_strength", l2_regularization_strength, 0, INFINITY, false);
  require_range("l2_shrinkage_regularization_strength", l2_shrinkage_regularization_strength, 0, INFINITY, false);
  require_range("beta", beta, 0, INFINITY, false);
  learning_rate_power_ = add_hyperparameter("learning_rate_power", learning_rate_power);
  l1_ = add_hyperparameter("l1_regularization_strength", l1_regularization_strength);
  l2_ = add_hyperparameter("l2_regularization_strength", l2_regularization_strength);
  beta_ = add_hyperparameter("beta", beta);
}

ArgList Ftrl::get_config() const {
  return {{"learning_rate_power", read(learning_rate_power_)},
          {"initial_accumulator_value", initial_accumulator_value_},
          {"l1_regularization_strength", read(l1_)},
          {"l2_regularization_strength", read(l2_)},
          {"l2_shrinkage_regularization_strength", l2_shrinkage_},
          {"beta", read(beta_)}};
}

float Ftrl::initial_slot_value(const std::string& slot_name) const {
  return slot_name == "accumulator" ? static_cast<float>(initial_accumulator_value_) : 0.f;
}

void Ftrl::prepare_step(double learning_rate, int64_t iteration) {
  lr_ = static_cast<float>(learning_rate);
  power_ = static_cast<float>(read(learning_rate_power_));
  l1_step_ = static_cast<float>(read(l1_));
  // Keras folds beta into the L2 strength: l2 + beta / (2 lr).
  l2_step_ = static_cast<float>(read(l2_)) + static_cast<float>(read(beta_)) / (2.f * lr_);
  shrinkage_step_ = static_cast<float>(l2_shrinkage_);
}

void Ftrl::update(float* w, const float* g, float* const* slots, int64_t n) const {
  float* __restrict accumulator = slots[0];
  float* __restrict linear = slots[1];
  for (int64_t i = 0; i < n; ++i) {
    const float grad_to_use = g[i] + 2.f * shrinkage_step_ * w[i];
    const float new_accumulator = accumulator[i] + g[i] * g[i];
    const float new_root = std::pow(new_accumulator, -power_);
    linear[i] += grad_to_use - (new_root - std::pow(accumulator[i], -power_)) / lr_ * w[i];
    const float quadratic = new_root / lr_ + 2.f * l2_step_;
    const float clipped = linear[i] < -l1_step_ ? -l1_step_ : (linear[i] > l1_step_ ? l1_step_ : linear[i]);
    w[i] = (clipped - linear[i]) / quadratic;
    accumulator[i] = new_accumulator;
  }
}

}  // namespace cairn
