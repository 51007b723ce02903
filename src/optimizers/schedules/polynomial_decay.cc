#include <algorithm>
#include <cmath>

#include "cairn/learning_rate_schedules.h"
#include "schedules/schedule_util.h"

namespace cairn {

PolynomialDecay::PolynomialDecay(double initial_learning_rate, int64_t decay_steps, double end_learning_rate,
                                 double power, bool cycle)
    : initial_learning_rate_(initial_learning_rate),
      decay_steps_(decay_steps),
      end_learning_rate_(end_learning_rate),
      power_(power),
      cycle_(cycle) {
  schedule_detail::require_finite(class_name(), "initial_learning_rate", initial_learning_rate);
  schedule_detail::require_positive_steps(class_name(), "decay_steps", decay_steps);
  schedule_detail::require_finite(class_name(), "end_learning_rate", end_learning_rate);
  schedule_detail::require_finite(class_name(), "power", power);
}

double PolynomialDecay::operator()(int64_t step) const {
  double s = static_cast<double>(step), steps = static_cast<double>(decay_steps_);
  if (cycle_) {
    // The first multiple of decay_steps at or above the step (1 at step 0).
    steps *= step == 0 ? 1.0 : std::ceil(s / steps);
  } else {
    s = std::min(s, steps);
  }
  return (initial_learning_rate_ - end_learning_rate_) * std::pow(1.0 - s / steps, power_) + end_learning_rate_;
}

ArgList PolynomialDecay::get_config() const {
  return {{"initial_learning_rate", initial_learning_rate_},
          {"decay_steps", static_cast<double>(decay_steps_)},
          {"end_learning_rate", end_learning_rate_},
          {"power", power_},
          {"cycle", cycle_}};
}

}  // namespace cairn
