#include <cmath>

#include "cairn/optimizers.h"
#include "cairn/internal/tensor/cpu_dispatch.h"

namespace cairn {

RMSprop::RMSprop(double learning_rate, double rho, double momentum, double epsilon, bool centered, double decay,
                 bool legacy)
    : Optimizer("RMSprop", learning_rate, decay),
      epsilon_(epsilon),
      use_momentum_(momentum > 0),
      centered_(centered),
      legacy_(legacy) {
  require_range("rho", rho, 0, 1, false);
  require_range("momentum", momentum, 0, 1, true);
  require_range("epsilon", epsilon, 0, INFINITY, false);
  rho_ = add_hyperparameter("rho", rho);
  momentum_ = add_hyperparameter("momentum", momentum);
}

ArgList RMSprop::get_config() const {
  return {{"rho", rho()}, {"momentum", momentum()}, {"epsilon", epsilon_}, {"centered", centered_}};
}

std::vector<std::string> RMSprop::update_slot_names() const {
  std::vector<std::string> names{"rms"};
  if (use_momentum_) names.push_back("momentum");
  if (centered_) names.push_back("mg");
  return names;
}

void RMSprop::prepare_step(double learning_rate, int64_t iteration) {
  lr_ = static_cast<float>(learning_rate);
  step_rho_ = static_cast<float>(rho());
  step_momentum_ = static_cast<float>(momentum());
}

namespace {
// mom is null without momentum, mg (the mean gradient) null unless centered. Without momentum,
// epsilon_inside picks Keras 3's sqrt(denominator + eps) over the legacy sqrt(denominator) + eps.
CAIRN_DISPATCHED_KERNEL void rmsprop_update(int64_t n, float lr, float rho, float mu, float eps, bool epsilon_inside,
                                            float* __restrict w, const float* __restrict g, float* __restrict rms,
                                            float* __restrict mom, float* __restrict mg) {
  const float c = 1 - rho;
  // Separate loops rather than branches inside one, so that each stays a straight vectorizable loop.
  if (!mom && !mg && epsilon_inside) {
    for (int64_t i = 0; i < n; ++i) {
      rms[i] = rho * rms[i] + c * g[i] * g[i];
      w[i] -= lr * g[i] / std::sqrt(rms[i] + eps);
    }
  } else if (!mom && !mg) {
    for (int64_t i = 0; i < n; ++i) {
      rms[i] = rho * rms[i] + c * g[i] * g[i];
      w[i] -= lr * g[i] / (std::sqrt(rms[i]) + eps);
    }
  } else if (!mom && epsilon_inside) {
    for (int64_t i = 0; i < n; ++i) {
      rms[i] = rho * rms[i] + c * g[i] * g[i];
      mg[i] = rho * mg[i] + c * g[i];
      w[i] -= lr * g[i] / std::sqrt(rms[i] - mg[i] * mg[i] + eps);
    }
  } else if (!mom) {
    for (int64_t i = 0; i < n; ++i) {
      rms[i] = rho * rms[i] + c * g[i] * g[i];
      mg[i] = rho * mg[i] + c * g[i];
      w[i] -= lr * g[i] / (std::sqrt(rms[i] - mg[i] * mg[i]) + eps);
    }
  } else if (!mg) {
    for (int64_t i = 0; i < n; ++i) {
      rms[i] = rho * rms[i] + c * g[i] * g[i];
      mom[i] = mu * mom[i] + lr * g[i] / std::sqrt(rms[i] + eps);
      w[i] -= mom[i];
    }
  } else {
    for (int64_t i = 0; i < n; ++i) {
      rms[i] = rho * rms[i] + c * g[i] * g[i];
      mg[i] = rho * mg[i] + c * g[i];
      mom[i] = mu * mom[i] + lr * g[i] / std::sqrt(rms[i] - mg[i] * mg[i] + eps);
      w[i] -= mom[i];
    }
  }
}
}  // namespace

void RMSprop::update(float* w, const float* g, float* const* slots, int64_t n) const {
  rmsprop_update(n, lr_, step_rho_, step_momentum_, static_cast<float>(epsilon_), !legacy_, w, g, slots[0],
                 use_momentum_ ? slots[1] : nullptr, centered_ ? slots[use_momentum_ ? 2 : 1] : nullptr);
}

}  // namespace cairn
