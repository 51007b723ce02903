// An axis argument as Keras prints it in messages, shared by the normalization layers that take a list.
#pragma once

#include <string>
#include <vector>

namespace cairn {

// Python-list style: "[1, -1]".
inline std::string axes_str(const std::vector<int>& axes) {
  std::string s = "[";
  for (size_t i = 0; i < axes.size(); ++i) s += (i ? ", " : "") + std::to_string(axes[i]);
  return s + "]";
}

}  // namespace cairn
