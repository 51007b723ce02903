#include <cmath>

#include "cairn/learning_rate_schedules.h"
#include "schedules/schedule_util.h"

namespace cairn {

InverseTimeDecay::InverseTimeDecay(double initial_learning_rate, int64_t decay_steps, double decay_rate,
                                   bool staircase)
    : initial_learning_rate_(initial_learning_rate),
      decay_steps_(decay_steps),
      decay_rate_(decay_rate),
      staircase_(staircase) {
  schedule_detail::require_finite(class_name(), "initial_learning_rate", initial_learning_rate);
  schedule_detail::require_positive_steps(class_name(), "decay_steps", decay_steps);
  schedule_detail::require(decay_rate >= 0 && std::isfinite(decay_rate), class_name(), "decay_rate",
                           "a finite number >= 0", decay_rate);
}

double InverseTimeDecay::operator()(int64_t step) const {
  double p = static_cast<double>(step) / static_cast<double>(decay_steps_);
  if (staircase_) p = std::floor(p);
  return initial_learning_rate_ / (1.0 + decay_rate_ * p);
}

ArgList InverseTimeDecay::get_config() const {
  return {{"initial_learning_rate", initial_learning_rate_},
          {"decay_steps", static_cast<double>(decay_steps_)},
          {"decay_rate", decay_rate_},
          {"staircase", staircase_}};
}

}  // namespace cairn
