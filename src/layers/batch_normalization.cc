#include "cairn/layers/batch_normalization.h"

#include <cmath>

#include "cairn/autodiff.h"
#include "cairn/error.h"
#include "cairn/ops.h"

namespace cairn {

BatchNormalization::BatchNormalization(BatchNormalizationOptions options)
    : Layer("BatchNormalization", options.name), options_(std::move(options)) {
  if (!(options_.epsilon > 0))
    throw InvalidArgument("BatchNormalization: epsilon must be positive, got " + std::to_string(options_.epsilon));
  if (!(options_.momentum >= 0 && options_.momentum <= 1))
    throw InvalidArgument("BatchNormalization: momentum must be in [0, 1], got " + std::to_string(options_.momentum));
  for (const InitializerPtr* init : {&options_.beta_initializer, &options_.gamma_initializer,
                                     &options_.moving_mean_initializer, &options_.moving_variance_initializer})
    if (!*init) throw InvalidArgument("BatchNormalization: every initializer must be set");
}

void BatchNormalization::check_input(const Shape& input_shape) const {
  const int rank = static_cast<int>(input_shape.size());
  if (rank < 1) incompatible_input("expected min_ndim=1, found ndim=0. Full shape received: ()");
  if (options_.axis != -1 && options_.axis != rank - 1)
    incompatible_input("axis " + std::to_string(options_.axis) + " is not the last axis of an input of shape " +
                       shape_str(input_shape) + " (cairn normalizes over the last axis only)");
  if (built() && input_shape.back() != moving_mean_->shape()[0])
    incompatible_input("expected axis -1 of input shape to have value " + std::to_string(moving_mean_->shape()[0]) +
                       ", but received input with shape " + shape_str(input_shape));
}

void BatchNormalization::build_impl(const Shape& input_shape) {
  const int64_t channels = input_shape.back();
  if (channels <= 0) incompatible_input("the last dimension of the input must be defined, got " + shape_str(input_shape));
  if (options_.scale) gamma_ = add_weight("gamma", {channels}, options_.gamma_initializer);
  if (options_.center) beta_ = add_weight("beta", {channels}, options_.beta_initializer);
  moving_mean_ = add_weight("moving_mean", {channels}, options_.moving_mean_initializer, false);
  moving_variance_ = add_weight("moving_variance", {channels}, options_.moving_variance_initializer, false);
}

Tensor BatchNormalization::call(const Tensor& x, bool training) {
  const Tensor gamma = gamma_ ? gamma_->value() : Tensor();
  const Tensor beta = beta_ ? beta_->value() : Tensor();
  if (training && trainable()) {
    Tensor mean, variance;
    Tensor y = ops::batch_norm_training(x, gamma, beta, options_.epsilon, mean, variance);
    const float momentum = static_cast<float>(options_.momentum);
    auto move = [&](const VariablePtr& moving, const Tensor& batch) {
      Tensor updated = moving->value().clone();
      float* m = updated.data<float>();
      const float* b = batch.data<float>();
      for (int64_t c = 0; c < updated.numel(); ++c) m[c] = m[c] * momentum + b[c] * (1.0f - momentum);
      moving->assign(updated);
    };
    move(moving_mean_, mean);
    move(moving_variance_, variance);
    return y;
  }
  // As Keras (tf.nn.batch_normalization): x * inv + (beta - mean * inv), inv = gamma / sqrt(variance + eps).
  Tensor inv = ops::div(Tensor::scalar(1.0, DType::Float32),
                        ops::sqrt(ops::add_scalar(moving_variance_->value(), options_.epsilon)));
  if (gamma.defined()) inv = ops::mul(inv, gamma);
  Tensor shift = ops::neg(ops::mul(moving_mean_->value(), inv));
  if (beta.defined()) shift = ops::add(shift, beta);
  return ops::add(ops::mul(x, inv), shift);
}

}  // namespace cairn
