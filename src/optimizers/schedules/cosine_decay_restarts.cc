#include <cmath>
#include <numbers>

#include "cairn/learning_rate_schedules.h"
#include "schedules/schedule_util.h"

namespace cairn {

CosineDecayRestarts::CosineDecayRestarts(double initial_learning_rate, int64_t first_decay_steps, double t_mul,
                                         double m_mul, double alpha)
    : initial_learning_rate_(initial_learning_rate),
      first_decay_steps_(first_decay_steps),
      t_mul_(t_mul),
      m_mul_(m_mul),
      alpha_(alpha) {
  schedule_detail::require_finite(class_name(), "initial_learning_rate", initial_learning_rate);
  schedule_detail::require_positive_steps(class_name(), "first_decay_steps", first_decay_steps);
  schedule_detail::require(t_mul > 0 && std::isfinite(t_mul), class_name(), "t_mul", "a finite number > 0", t_mul);
  schedule_detail::require_finite(class_name(), "m_mul", m_mul);
  schedule_detail::require_finite(class_name(), "alpha", alpha);
}

double CosineDecayRestarts::operator()(int64_t step) const {
  double fraction = static_cast<double>(step) / static_cast<double>(first_decay_steps_);
  double restart;
  if (t_mul_ == 1.0) {
    restart = std::floor(fraction);
    fraction -= restart;
  } else {
    // Periods grow geometrically: restart i begins at (1 - t_mul^i) / (1 - t_mul) first periods.
    restart = std::floor(std::log(1.0 - fraction * (1.0 - t_mul_)) / std::log(t_mul_));
    const double elapsed = (1.0 - std::pow(t_mul_, restart)) / (1.0 - t_mul_);
    fraction = (fraction - elapsed) / std::pow(t_mul_, restart);
  }
  const double cosine = 0.5 * std::pow(m_mul_, restart) * (1.0 + std::cos(std::numbers::pi * fraction));
  return initial_learning_rate_ * ((1.0 - alpha_) * cosine + alpha_);
}

ArgList CosineDecayRestarts::get_config() const {
  return {{"initial_learning_rate", initial_learning_rate_},
          {"first_decay_steps", static_cast<double>(first_decay_steps_)},
          {"t_mul", t_mul_},
          {"m_mul", m_mul_},
          {"alpha", alpha_}};
}

}  // namespace cairn
