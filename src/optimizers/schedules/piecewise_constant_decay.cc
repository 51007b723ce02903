#include <cmath>

#include "cairn/learning_rate_schedules.h"
#include "schedules/schedule_util.h"

namespace cairn {

PiecewiseConstantDecay::PiecewiseConstantDecay(std::vector<double> boundaries, std::vector<double> values)
    : boundaries_(std::move(boundaries)), values_(std::move(values)) {
  if (values_.size() != boundaries_.size() + 1)
    throw InvalidArgument("PiecewiseConstantDecay: the length of boundaries should be 1 less than the length of "
                          "values, got " + std::to_string(boundaries_.size()) + " boundaries and " +
                          std::to_string(values_.size()) + " values");
  for (size_t i = 1; i < boundaries_.size(); ++i)
    schedule_detail::require(boundaries_[i] > boundaries_[i - 1], class_name(), "boundaries",
                             "increasing, but boundary " + std::to_string(i) + " is", boundaries_[i]);
}

double PiecewiseConstantDecay::operator()(int64_t step) const {
  const double s = static_cast<double>(step);
  for (size_t i = 0; i < boundaries_.size(); ++i)
    if (s <= boundaries_[i]) return values_[i];
  return values_.back();
}

ArgList PiecewiseConstantDecay::get_config() const { return {{"boundaries", boundaries_}, {"values", values_}}; }

}  // namespace cairn
