#include <cmath>

#include "cairn/optimizers.h"
#include "cairn/internal/tensor/cpu_dispatch.h"

namespace cairn {

Nadam::Nadam(double learning_rate, double beta_1, double beta_2, double epsilon)
    : Optimizer("Nadam", learning_rate, /*decay=*/0.0), epsilon_(epsilon) {
  require_range("beta_1", beta_1, 0, 1, false);
  require_range("beta_2", beta_2, 0, 1, false);
  require_range("epsilon", epsilon, 0, INFINITY, false);
  beta_1_ = add_hyperparameter("beta_1", beta_1);
  beta_2_ = add_hyperparameter("beta_2", beta_2);
  // The product of the momentum schedule u_1 ... u_t so far (Keras 3's u_product): state, not a setting.
  momentum_cache_ = add_hyperparameter("momentum_cache", 1.0);
}

ArgList Nadam::get_config() const { return {{"beta_1", beta_1()}, {"beta_2", beta_2()}, {"epsilon", epsilon_}}; }

void Nadam::prepare_step(double learning_rate, int64_t iteration) {
  // In float32, as Keras 3 computes these scalars.
  const float b1 = static_cast<float>(beta_1()), b2 = static_cast<float>(beta_2());
  const float t = static_cast<float>(iteration + 1);
  u_t_ = b1 * (1.f - 0.5f * std::pow(0.96f, t));
  u_next_ = b1 * (1.f - 0.5f * std::pow(0.96f, t + 1.f));
  float* cache = momentum_cache_->mutable_value().data<float>();
  cache[0] *= u_t_;  // Keras updates u_product before the variables
  product_ = cache[0];
  product_next_ = product_ * u_next_;
  beta_2_power_ = std::pow(b2, t);
  lr_ = static_cast<float>(learning_rate);
  b1_ = b1;
  b2_ = b2;
}

namespace {
CAIRN_DISPATCHED_KERNEL void nadam_update(int64_t n, float lr, float b1, float b2, float eps, float u_t, float u_next,
                                          float product, float product_next, float beta_2_power, float* __restrict w,
                                          const float* __restrict g, float* __restrict m, float* __restrict v) {
  for (int64_t i = 0; i < n; ++i) {
    m[i] += (g[i] - m[i]) * (1.f - b1);
    v[i] += (g[i] * g[i] - v[i]) * (1.f - b2);
    const float m_hat = u_next * m[i] / (1.f - product_next) + (1.f - u_t) * g[i] / (1.f - product);
    const float v_hat = v[i] / (1.f - beta_2_power);
    w[i] -= m_hat * lr / (std::sqrt(v_hat) + eps);
  }
}
}  // namespace

void Nadam::update(float* w, const float* g, float* const* slots, int64_t n) const {
  nadam_update(n, lr_, b1_, b2_, static_cast<float>(epsilon_), u_t_, u_next_, product_, product_next_, beta_2_power_,
               w, g, slots[0], slots[1]);
}

}  // namespace cairn
