#include <algorithm>
#include <cmath>

#include "cairn/optimizers.h"
#include "cairn/internal/tensor/cpu_dispatch.h"

namespace cairn {

Adam::Adam(double learning_rate, double beta_1, double beta_2, double epsilon, bool amsgrad, double decay)
    : Adam("Adam", learning_rate, beta_1, beta_2, epsilon, amsgrad, decay) {}

Adam::Adam(std::string class_name, double learning_rate, double beta_1, double beta_2, double epsilon, bool amsgrad,
           double decay)
    : Optimizer(std::move(class_name), learning_rate, decay), epsilon_(epsilon), amsgrad_(amsgrad) {
  require_range("beta_1", beta_1, 0, 1, false);
  require_range("beta_2", beta_2, 0, 1, false);
  require_range("epsilon", epsilon, 0, INFINITY, false);
  beta_1_ = add_hyperparameter("beta_1", beta_1);
  beta_2_ = add_hyperparameter("beta_2", beta_2);
}

ArgList Adam::get_config() const {
  return {{"beta_1", beta_1()}, {"beta_2", beta_2()}, {"epsilon", epsilon_}, {"amsgrad", amsgrad_}};
}

std::vector<std::string> Adam::update_slot_names() const {
  if (amsgrad_) return {"m", "v", "vhat"};
  return {"m", "v"};
}

void Adam::prepare_step(double learning_rate, int64_t iteration) {
  // Like TF, the betas are read at their stored float32 precision.
  const double b1 = beta_1(), b2 = beta_2();
  const double t = static_cast<double>(iteration + 1);
  alpha_ = static_cast<float>(learning_rate * std::sqrt(1 - std::pow(b2, t)) / (1 - std::pow(b1, t)));
  b1_ = static_cast<float>(b1);
  b2_ = static_cast<float>(b2);
}

namespace {
// m and v are the moments; vhat, the largest v so far, is null without AMSGrad.
CAIRN_DISPATCHED_KERNEL void adam_update(int64_t n, float alpha, float b1, float b2, float eps, float* __restrict w,
                                         const float* __restrict g, float* __restrict m, float* __restrict v,
                                         float* __restrict vhat) {
  const float c1 = 1 - b1, c2 = 1 - b2;
  if (!vhat) {
    for (int64_t i = 0; i < n; ++i) {
      m[i] = b1 * m[i] + c1 * g[i];
      v[i] = b2 * v[i] + c2 * g[i] * g[i];
      w[i] -= alpha * m[i] / (std::sqrt(v[i]) + eps);
    }
    return;
  }
  for (int64_t i = 0; i < n; ++i) {
    m[i] = b1 * m[i] + c1 * g[i];
    v[i] = b2 * v[i] + c2 * g[i] * g[i];
    vhat[i] = std::max(vhat[i], v[i]);
    w[i] -= alpha * m[i] / (std::sqrt(vhat[i]) + eps);
  }
}
}  // namespace

void Adam::update(float* w, const float* g, float* const* slots, int64_t n) const {
  adam_update(n, alpha_, b1_, b2_, static_cast<float>(epsilon_), w, g, slots[0], slots[1],
              amsgrad_ ? slots[2] : nullptr);
}

}  // namespace cairn
