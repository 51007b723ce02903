// Argument checks shared by the learning-rate schedules.
#pragma once

#include <cmath>
#include <cstdio>
#include <string>

#include "cairn/error.h"

namespace cairn::schedule_detail {

inline void require(bool ok, const std::string& schedule, const std::string& argument, const std::string& rule,
                    double value) {
  if (!ok) {
    char shown[64];
    std::snprintf(shown, sizeof shown, "%.9g", value);
    throw InvalidArgument(schedule + ": " + argument + " must be " + rule + ", got " + shown);
  }
}

inline void require_positive_steps(const std::string& schedule, const std::string& argument, int64_t steps) {
  require(steps > 0, schedule, argument, "a positive number of steps", static_cast<double>(steps));
}

inline void require_finite(const std::string& schedule, const std::string& argument, double value) {
  require(std::isfinite(value), schedule, argument, "finite", value);
}

}  // namespace cairn::schedule_detail
