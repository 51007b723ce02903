#include "cairn/layers/rescaling.h"

#include <cmath>

#include "cairn/error.h"
#include "cairn/ops.h"

namespace cairn {

namespace {

Tensor finite_values(const Tensor& values, const char* what) {
  if (!values.defined()) throw InvalidArgument(std::string("Rescaling: ") + what + " is not set");
  if (values.dtype() != DType::Float32 && values.dtype() != DType::Float64)
    throw InvalidArgument(std::string("Rescaling: ") + what + " must be float32 or float64, got " + std::string(dtype_name(values.dtype())));
  const Tensor as_double = values.to(DType::Float64);
  for (double v : as_double.span<double>())
    if (!std::isfinite(v))
      throw InvalidArgument(std::string("Rescaling: ") + what + " must be finite, got " + std::to_string(v));
  return values.to(DType::Float32);
}

}  // namespace

Rescaling::Rescaling(double scale, double offset, std::string name)
    : Rescaling(Tensor::scalar(scale, DType::Float64), Tensor::scalar(offset, DType::Float64), std::move(name)) {}

Rescaling::Rescaling(Tensor scale, Tensor offset, std::string name)
    : Layer("Rescaling", std::move(name)),
      scale_(std::move(scale)),
      offset_(std::move(offset)),
      scale_float32_(finite_values(scale_, "scale")),
      offset_float32_(finite_values(offset_, "offset")) {}

void Rescaling::check_input(const Shape& input_shape) const {
  // The output keeps the input's shape: every size of scale and offset is 1 or the input's, from the right.
  for (const Tensor* values : {&scale_, &offset_}) {
    const Shape& s = values->shape();
    bool fits = s.size() <= input_shape.size();
    for (size_t i = 1; fits && i <= s.size(); ++i) {
      const int64_t want = input_shape[input_shape.size() - i];
      fits = s[s.size() - i] == 1 || want < 0 || s[s.size() - i] == want;
    }
    if (!fits)
      incompatible_input(std::string(values == &scale_ ? "scale" : "offset") + " of shape " + shape_str(s) +
                         " does not broadcast to the input's shape " + shape_str(input_shape));
  }
}

Tensor Rescaling::call(const Tensor& x, bool) {
  const Tensor input = x.dtype() == DType::Float32 ? x : ops::cast(x.to(DType::Float32), DType::Float32);
  auto is_number = [](const Tensor& t, double value) {
    return t.rank() == 0 && t.data<float>()[0] == static_cast<float>(value);
  };
  const Tensor scaled = scale_float32_.rank() == 0 ? ops::scale(input, scale_float32_.data<float>()[0])
                                                   : ops::mul(input, scale_float32_);
  if (is_number(offset_float32_, 0.0)) return scaled;
  return offset_float32_.rank() == 0 ? ops::add_scalar(scaled, offset_float32_.data<float>()[0])
                                     : ops::add(scaled, offset_float32_);
}

}  // namespace cairn
