#include "cairn/optimizers.h"

namespace cairn {

SGD::SGD(double learning_rate, double momentum, bool nesterov, double decay)
    : Optimizer("SGD", learning_rate, decay), use_momentum_(momentum > 0), nesterov_(nesterov) {
  require_range("momentum", momentum, 0, 1, true);
  momentum_ = add_hyperparameter("momentum", momentum);
}

ArgList SGD::get_config() const { return {{"momentum", momentum()}, {"nesterov", nesterov_}}; }

std::vector<std::string> SGD::update_slot_names() const {
  if (use_momentum_) return {"momentum"};
  return {};
}

void SGD::prepare_step(double learning_rate, int64_t iteration) {
  lr_ = static_cast<float>(learning_rate);
  step_momentum_ = static_cast<float>(momentum());
}

void SGD::update(float* w, const float* g, float* const* slots, int64_t n) const {
  float* __restrict wp = w;
  const float* __restrict gp = g;
  const float lr = lr_;
  if (!use_momentum_) {
    for (int64_t i = 0; i < n; ++i) wp[i] -= lr * gp[i];
    return;
  }
  float* __restrict velocity = slots[0];
  const float mu = step_momentum_;
  if (nesterov_) {
    for (int64_t i = 0; i < n; ++i) {
      velocity[i] = mu * velocity[i] - lr * gp[i];
      wp[i] += mu * velocity[i] - lr * gp[i];
    }
  } else {
    for (int64_t i = 0; i < n; ++i) {
      velocity[i] = mu * velocity[i] - lr * gp[i];
      wp[i] += velocity[i];
    }
  }
}

}  // namespace cairn
