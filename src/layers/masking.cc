#include "cairn/layers/masking.h"

#include "cairn/ops.h"

namespace cairn {

Masking::Masking(double mask_value, std::string name) : Layer("Masking", std::move(name)), mask_value_(mask_value) {}

void Masking::check_input(const Shape& input_shape) const {
  if (input_shape.size() < 2)
    incompatible_input("expected ndim>=2 (batch, ..., features), found ndim=" + std::to_string(input_shape.size()) +
                       ". Full shape received: " + shape_str(input_shape));
}

// 1 where any feature differs from mask_value, over the input's shape without its last axis.
Tensor Masking::compute_mask(const Tensor& x, const Tensor&) const {
  Shape shape = x.shape();
  const int64_t features = shape.back();
  shape.pop_back();
  const Tensor values = x.to(DType::Float64);
  const double* in = values.data<double>();
  Tensor mask(shape, DType::Float32);
  float* out = mask.data<float>();
  for (int64_t row = 0; row < mask.numel(); ++row) {
    bool any = false;
    for (int64_t f = 0; f < features && !any; ++f) any = in[row * features + f] != mask_value_;
    out[row] = any ? 1.0f : 0.0f;
  }
  return mask;
}

Tensor Masking::call(const Tensor& x, bool) {
  Shape keep_shape = x.shape();
  keep_shape.back() = 1;
  return ops::mul(x, ops::reshape(compute_mask(x, Tensor()), keep_shape).to(x.dtype()));
}

}  // namespace cairn
