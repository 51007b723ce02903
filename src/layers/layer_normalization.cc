#include "cairn/layers/layer_normalization.h"

#include "cairn/error.h"
#include "cairn/ops.h"

namespace cairn {

LayerNormalization::LayerNormalization(LayerNormalizationOptions options)
    : Layer("LayerNormalization", options.name), options_(std::move(options)) {
  if (!(options_.epsilon > 0))
    throw InvalidArgument("LayerNormalization: epsilon must be positive, got " + std::to_string(options_.epsilon));
  if (!options_.beta_initializer || !options_.gamma_initializer)
    throw InvalidArgument("LayerNormalization: beta_initializer and gamma_initializer must be set");
}

void LayerNormalization::check_input(const Shape& input_shape) const {
  const int rank = static_cast<int>(input_shape.size());
  if (rank < 1) incompatible_input("expected min_ndim=1, found ndim=0. Full shape received: ()");
  if (options_.axis != -1 && options_.axis != rank - 1)
    incompatible_input("axis " + std::to_string(options_.axis) + " is not the last axis of an input of shape " +
                       shape_str(input_shape) + " (cairn normalizes over the last axis only)");
  if (built() && (gamma_ || beta_) && input_shape.back() != (gamma_ ? gamma_ : beta_)->shape()[0])
    incompatible_input("expected axis -1 of input shape to have value " +
                       std::to_string((gamma_ ? gamma_ : beta_)->shape()[0]) + ", but received input with shape " +
                       shape_str(input_shape));
}

void LayerNormalization::build_impl(const Shape& input_shape) {
  const int64_t features = input_shape.back();
  if (features <= 0) incompatible_input("the last dimension of the input must be defined, got " + shape_str(input_shape));
  if (options_.scale) gamma_ = add_weight("gamma", {features}, options_.gamma_initializer);
  if (options_.center) beta_ = add_weight("beta", {features}, options_.beta_initializer);
}

Tensor LayerNormalization::call(const Tensor& x, bool) {
  return ops::layer_norm(x, gamma_ ? gamma_->value() : Tensor(), beta_ ? beta_->value() : Tensor(), options_.epsilon);
}

}  // namespace cairn
