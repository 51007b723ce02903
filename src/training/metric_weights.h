// Keras's sample_weight as the metrics read it (private to src/training).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cairn/tensor.h"

namespace cairn {

// One weight per position for `positions` positions of `samples` samples (row-major, the positions of a
// sample together), from a sample_weight given per sample (`samples` values, spread over the sample's
// positions) or per position (`positions` values). ShapeError naming `metric` and both shapes otherwise.
std::vector<double> weights_per_position(const Tensor& sample_weight, int64_t samples, int64_t positions,
                                         const std::string& metric);

}  // namespace cairn
