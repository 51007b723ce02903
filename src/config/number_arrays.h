// Numbers in Keras configs that may be arrays: Normalization's mean and variance, Rescaling's scale and
// offset. Keras writes a number, nested lists of numbers, or (Keras 3, for a NumPy array or a tensor)
// {"class_name": "__numpy__" | "__tensor__", "config": {"value": ..., "dtype": ...}}.
#pragma once

#include <string>

#include "cairn/internal/config/config_reader.h"
#include "cairn/tensor.h"

namespace cairn::config_detail {

// The numbers as a float64 tensor of their shape (a number: rank 0); a FormatError naming `key` for
// anything else (ragged lists, strings, rank above 8).
Tensor number_array_from_config(ConfigReader& reader, const std::string& key, const Json& value);
// The inverse: a number for a rank-0 tensor, else nested lists.
Json number_array_config(const Tensor& numbers);

}  // namespace cairn::config_detail
