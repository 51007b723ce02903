#include "cairn/layers/layer_scale.h"

#include <cmath>

#include "cairn/error.h"
#include "cairn/initializers.h"
#include "cairn/ops.h"

namespace cairn {

LayerScale::LayerScale(double init_values, int64_t projection_dim, std::string name)
    : Layer("LayerScale", std::move(name)), init_values_(init_values), projection_dim_(projection_dim) {
  if (projection_dim < 1)
    throw InvalidArgument("LayerScale: projection_dim must be positive, got " + std::to_string(projection_dim));
  if (!std::isfinite(init_values))
    throw InvalidArgument("LayerScale: init_values must be finite, got " + std::to_string(init_values));
}

void LayerScale::check_input(const Shape& input_shape) const {
  // Keras multiplies x by gamma with numpy broadcasting: the last axis has projection_dim features.
  if (input_shape.empty() || (input_shape.back() >= 0 && input_shape.back() != projection_dim_))
    incompatible_input("expected the last axis to have projection_dim = " + std::to_string(projection_dim_) +
                       " features, got input shape " + shape_str(input_shape));
}

void LayerScale::build_impl(const Shape&) { gamma_ = add_weight("gamma", {projection_dim_}, constant(init_values_)); }

Tensor LayerScale::call(const Tensor& x, bool) { return ops::mul(x, gamma_->value()); }

}  // namespace cairn
