#include <cmath>

#include "cairn/optimizers.h"
#include "cairn/internal/tensor/cpu_dispatch.h"

namespace cairn {

Adagrad::Adagrad(double learning_rate, double initial_accumulator_value, double epsilon, double decay,
                 bool legacy)
    : Optimizer("Adagrad", learning_rate, decay),
      initial_accumulator_value_(initial_accumulator_value),
      epsilon_(epsilon),
      legacy_(legacy) {
  require_range("initial_accumulator_value", initial_accumulator_value, 0, INFINITY, false);
  require_range("epsilon", epsilon, 0, INFINITY, false);
}

std::vector<std::string> Adagrad::update_slot_names() const { return {"accumulator"}; }

ArgList Adagrad::get_config() const {
  return {{"initial_accumulator_value", initial_accumulator_value_}, {"epsilon", epsilon_}};
}

float Adagrad::initial_slot_value(const std::string& slot_name) const {
  return static_cast<float>(initial_accumulator_value_);
}

void Adagrad::prepare_step(double learning_rate, int64_t iteration) { lr_ = static_cast<float>(learning_rate); }

namespace {
// epsilon_inside: Keras 3's sqrt(acc + eps), else the legacy sqrt(acc) + eps.
CAIRN_DISPATCHED_KERNEL void adagrad_update(int64_t n, float lr, float eps, bool epsilon_inside, float* __restrict w,
                                            const float* __restrict g, float* __restrict accumulator) {
  if (epsilon_inside) {
    for (int64_t i = 0; i < n; ++i) {
      accumulator[i] += g[i] * g[i];
      w[i] -= lr * g[i] / std::sqrt(accumulator[i] + eps);
    }
    return;
  }
  for (int64_t i = 0; i < n; ++i) {
    accumulator[i] += g[i] * g[i];
    w[i] -= lr * g[i] / (std::sqrt(accumulator[i]) + eps);
  }
}
}  // namespace

void Adagrad::update(float* w, const float* g, float* const* slots, int64_t n) const {
  adagrad_update(n, lr_, static_cast<float>(epsilon_), !legacy_, w, g, slots[0]);
}

}  // namespace cairn
