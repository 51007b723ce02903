#include <cmath>

#include "cairn/optimizers.h"
#include "cairn/internal/tensor/cpu_dispatch.h"

namespace cairn {

Lion::Lion(double learning_rate, double beta_1, double beta_2) : Optimizer("Lion", learning_rate, /*decay=*/0.0) {
  // Keras requires both in [0, 1].
  require_range("beta_1", beta_1, 0, 1, true);
  require_range("beta_2", beta_2, 0, 1, true);
  beta_1_ = add_hyperparameter("beta_1", beta_1);
  beta_2_ = add_hyperparameter("beta_2", beta_2);
}

ArgList Lion::get_config() const { return {{"beta_1", read(beta_1_)}, {"beta_2", read(beta_2_)}}; }

void Lion::prepare_step(double learning_rate, int64_t iteration) {
  lr_ = static_cast<float>(learning_rate);
  b1_ = static_cast<float>(read(beta_1_));
  b2_ = static_cast<float>(read(beta_2_));
}

namespace {
CAIRN_DISPATCHED_KERNEL void lion_update(int64_t n, float lr, float b1, float b2, float* __restrict w,
                                         const float* __restrict g, float* __restrict m) {
  for (int64_t i = 0; i < n; ++i) {
    const float direction = m[i] * b1 + g[i] * (1.f - b1);
    const float sign = direction > 0.f ? 1.f : (direction < 0.f ? -1.f : 0.f);
    w[i] -= lr * sign;
    m[i] = m[i] * b2 + g[i] * (1.f - b2);
  }
}
}  // namespace

void Lion::update(float* w, const float* g, float* const* slots, int64_t n) const {
  lion_update(n, lr_, b1_, b2_, w, g, slots[0]);
}

}  // namespace cairn
