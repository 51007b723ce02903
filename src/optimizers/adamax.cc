#include <algorithm>
#include <cmath>

#include "cairn/optimizers.h"
#include "cairn/internal/tensor/cpu_dispatch.h"

namespace cairn {

Adamax::Adamax(double learning_rate, double beta_1, double beta_2, double epsilon)
    : Optimizer("Adamax", learning_rate, /*decay=*/0.0), epsilon_(epsilon) {
  require_range("beta_1", beta_1, 0, 1, false);
  require_range("beta_2", beta_2, 0, 1, false);
  require_range("epsilon", epsilon, 0, INFINITY, false);
  beta_1_ = add_hyperparameter("beta_1", beta_1);
  beta_2_ = add_hyperparameter("beta_2", beta_2);
}

ArgList Adamax::get_config() const { return {{"beta_1", beta_1()}, {"beta_2", beta_2()}, {"epsilon", epsilon_}}; }

void Adamax::prepare_step(double learning_rate, int64_t iteration) {
  b1_ = static_cast<float>(beta_1());
  b2_ = static_cast<float>(beta_2());
  correction_ = 1.f - std::pow(b1_, static_cast<float>(iteration + 1));
  lr_ = static_cast<float>(learning_rate);
}

namespace {
CAIRN_DISPATCHED_KERNEL void adamax_update(int64_t n, float lr, float b1, float b2, float eps, float correction,
                                           float* __restrict w, const float* __restrict g, float* __restrict m,
                                           float* __restrict u) {
  for (int64_t i = 0; i < n; ++i) {
    m[i] += (g[i] - m[i]) * (1.f - b1);
    u[i] = std::max(b2 * u[i], std::fabs(g[i]));
    w[i] -= lr * m[i] / (correction * (u[i] + eps));
  }
}
}  // namespace

void Adamax::update(float* w, const float* g, float* const* slots, int64_t n) const {
  adamax_update(n, lr_, b1_, b2_, static_cast<float>(epsilon_), correction_, w, g, slots[0], slots[1]);
}

}  // namespace cairn
