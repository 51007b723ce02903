#include <cmath>

#include "cairn/optimizers.h"
#include "cairn/internal/tensor/cpu_dispatch.h"

namespace cairn {

Adadelta::Adadelta(double learning_rate, double rho, double epsilon)
    : Optimizer("Adadelta", learning_rate, /*decay=*/0.0), epsilon_(epsilon) {
  require_range("rho", rho, 0, 1, true);
  require_range("epsilon", epsilon, 0, INFINITY, false);
  rho_ = add_hyperparameter("rho", rho);
}

ArgList Adadelta::get_config() const { return {{"rho", rho()}, {"epsilon", epsilon_}}; }

void Adadelta::prepare_step(double learning_rate, int64_t iteration) {
  lr_ = static_cast<float>(learning_rate);
  step_rho_ = static_cast<float>(rho());
}

namespace {
CAIRN_DISPATCHED_KERNEL void adadelta_update(int64_t n, float lr, float rho, float eps, float* __restrict w,
                                             const float* __restrict g, float* __restrict accumulated_grad,
                                             float* __restrict accumulated_delta) {
  for (int64_t i = 0; i < n; ++i) {
    accumulated_grad[i] = rho * accumulated_grad[i] + (1.f - rho) * g[i] * g[i];
    const float delta = -(std::sqrt(accumulated_delta[i] + eps) * g[i]) / std::sqrt(accumulated_grad[i] + eps);
    accumulated_delta[i] = rho * accumulated_delta[i] + (1.f - rho) * delta * delta;
    w[i] += lr * delta;
  }
}
}  // namespace

void Adadelta::update(float* w, const float* g, float* const* slots, int64_t n) const {
  adadelta_update(n, lr_, step_rho_, static_cast<float>(epsilon_), w, g, slots[0], slots[1]);
}

}  // namespace cairn
