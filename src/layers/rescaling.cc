#include "cairn/layers/rescaling.h"

#include <cmath>

#include "cairn/error.h"
#include "cairn/ops.h"

namespace cairn {

Rescaling::Rescaling(double scale, double offset, std::string name)
    : Layer("Rescaling", std::move(name)), scale_(scale), offset_(offset) {
  if (!std::isfinite(scale) || !std::isfinite(offset))
    throw InvalidArgument("Rescaling: scale and offset must be finite, got " + std::to_string(scale) + " and " +
                          std::to_string(offset));
}

Tensor Rescaling::call(const Tensor& x, bool) {
  const Tensor scaled = ops::scale(x.dtype() == DType::Float32 ? x : ops::cast(x.to(DType::Float32), DType::Float32), scale_);
  return offset_ == 0.0 ? scaled : ops::add_scalar(scaled, offset_);
}

}  // namespace cairn
