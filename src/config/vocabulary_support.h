// The sections of docs/keras_support.md beyond layers: activations, initializers, optimizers, schedules,
// losses and metrics, each from its registry against Keras 3.15's catalogue.
#pragma once

#include <vector>

#include "cairn/keras_support.h"

namespace cairn::config_detail {

std::vector<KerasSupportSection> vocabulary_support_sections();

}  // namespace cairn::config_detail
