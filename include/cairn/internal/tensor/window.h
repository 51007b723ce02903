// The geometry of a sliding window along one spatial axis (convolution, pooling), as TensorFlow has it.
#pragma once

#include <algorithm>
#include <cstdint>

namespace cairn::kernels {

struct WindowAxis {
  int64_t out = 0;
  int64_t pad_before = 0;
  int64_t pad_after = 0;
};

// 'same': out = ceil(in / stride), pad_total = max((out - 1) * stride + window - in, 0), and the odd padding
// element goes after (pad_before = pad_total / 2). 'valid': no padding, out = (in - window) / stride + 1,
// which needs in >= window (callers check it).
inline WindowAxis window_axis(int64_t in, int64_t window, int64_t stride, bool same) {
  WindowAxis axis;
  if (same) {
    axis.out = (in + stride - 1) / stride;
    const int64_t total = std::max<int64_t>((axis.out - 1) * stride + window - in, 0);
    axis.pad_before = total / 2;
    axis.pad_after = total - axis.pad_before;
  } else {
    axis.out = in >= window ? (in - window) / stride + 1 : 0;
  }
  return axis;
}

// The extent of a window whose taps are `dilation` apart: (window - 1) * dilation + 1.
inline int64_t dilated_window(int64_t window, int64_t dilation) { return (window - 1) * dilation + 1; }

}  // namespace cairn::kernels
