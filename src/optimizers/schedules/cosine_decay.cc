#include <algorithm>
#include <cmath>
#include <numbers>

#include "cairn/learning_rate_schedules.h"
#include "schedules/schedule_util.h"

namespace cairn {

CosineDecay::CosineDecay(double initial_learning_rate, int64_t decay_steps, double alpha,
                         std::optional<double> warmup_target, int64_t warmup_steps)
    : initial_learning_rate_(initial_learning_rate),
      decay_steps_(decay_steps),
      alpha_(alpha),
      warmup_target_(warmup_target),
      warmup_steps_(warmup_steps) {
  schedule_detail::require_finite(class_name(), "initial_learning_rate", initial_learning_rate);
  schedule_detail::require_positive_steps(class_name(), "decay_steps", decay_steps);
  schedule_detail::require_finite(class_name(), "alpha", alpha);
  if (warmup_target) schedule_detail::require_finite(class_name(), "warmup_target", *warmup_target);
  schedule_detail::require(warmup_steps >= 0, class_name(), "warmup_steps", ">= 0",
                           static_cast<double>(warmup_steps));
}

double CosineDecay::operator()(int64_t step) const {
  const double steps = static_cast<double>(decay_steps_);
  auto decayed = [&](double s, double from) {
    const double cosine = 0.5 * (1.0 + std::cos(std::numbers::pi * s / steps));
    return from * ((1.0 - alpha_) * cosine + alpha_);
  };
  double s = static_cast<double>(step);
  if (!warmup_target_) return decayed(std::min(s, steps), initial_learning_rate_);
  const double warmup = static_cast<double>(warmup_steps_);
  s = std::min(s, steps + warmup);
  if (s < warmup) return (*warmup_target_ - initial_learning_rate_) * (s / warmup) + initial_learning_rate_;
  return decayed(s - warmup, *warmup_target_);
}

ArgList CosineDecay::get_config() const {
  return {{"initial_learning_rate", initial_learning_rate_},
          {"decay_steps", static_cast<double>(decay_steps_)},
          {"alpha", alpha_},
          {"warmup_target", warmup_target_ ? ArgValue{*warmup_target_} : ArgValue{nullptr}},
          {"warmup_steps", static_cast<double>(warmup_steps_)}};
}

}  // namespace cairn
