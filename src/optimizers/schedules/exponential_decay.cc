#include <cmath>

#include "cairn/learning_rate_schedules.h"
#include "schedules/schedule_util.h"

namespace cairn {

ExponentialDecay::ExponentialDecay(double initial_learning_rate, int64_t decay_steps, double decay_rate,
                                   bool staircase)
    : initial_learning_rate_(initial_learning_rate),
      decay_steps_(decay_steps),
      decay_rate_(decay_rate),
      staircase_(staircase) {
  schedule_detail::require_finite(class_name(), "initial_learning_rate", initial_learning_rate);
  schedule_detail::require_positive_steps(class_name(), "decay_steps", decay_steps);
  schedule_detail::require_finite(class_name(), "decay_rate", decay_rate);
}

double ExponentialDecay::operator()(int64_t step) const {
  double p = static_cast<double>(step) / static_cast<double>(decay_steps_);
  if (staircase_) p = std::floor(p);
  return initial_learning_rate_ * std::pow(decay_rate_, p);
}

ArgList ExponentialDecay::get_config() const {
  return {{"initial_learning_rate", initial_learning_rate_},
          {"decay_steps", static_cast<double>(decay_steps_)},
          {"decay_rate", decay_rate_},
          {"staircase", staircase_}};
}

}  // namespace cairn
