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

void BatchNormalization::move_statistics(const Tensor& mean, const Tensor& variance) {
  const float momentum = static_cast<float>(options_.momentum);
  auto move = [&](const VariablePtr& moving, const Tensor& batch) {
    Tensor updated = moving->value().clone();
    float* m = updated.data<float>();
    const Tensor values = batch.to(DType::Float32);
    const float* b = values.data<float>();
    for (int64_t c = 0; c < updated.numel(); ++c) m[c] = m[c] * momentum + b[c] * (1.0f - momentum);
    moving->assign(updated);
  };
  move(moving_mean_, mean);
  move(moving_variance_, variance);
}

// As Keras (tf.nn.batch_normalization): x * inv + (beta - mean * inv), inv = gamma / sqrt(variance + eps).
Tensor BatchNormalization::normalize(const Tensor& x, const Tensor& mean, const Tensor& variance) const {
  Tensor inv = ops::div(Tensor::scalar(1.0, DType::Float32), ops::sqrt(ops::add_scalar(variance, options_.epsilon)));
  if (gamma_) inv = ops::mul(inv, gamma_->value());
  Tensor shift = ops::neg(ops::mul(mean, inv));
  if (beta_) shift = ops::add(shift, beta_->value());
  return ops::add(ops::mul(x, inv), shift);
}

Tensor BatchNormalization::call(const Tensor& x, bool training) {
  if (training && trainable()) {
    const Tensor gamma = gamma_ ? gamma_->value() : Tensor();
    const Tensor beta = beta_ ? beta_->value() : Tensor();
    Tensor mean, variance;
    Tensor y = ops::batch_norm_training(x, gamma, beta, options_.epsilon, mean, variance);
    move_statistics(mean, variance);
    return y;
  }
  return normalize(x, moving_mean_->value(), moving_variance_->value());
}

Tensor BatchNormalization::call_with_mask(const Tensor& x, const Tensor& mask, bool training) {
  if (mask.rank() != x.rank() - 1)
    throw ShapeError("layer \"" + name() + "\": The mask provided should be one dimension less than the inputs. Received: "
                     "mask.shape=" + shape_str(mask.shape()) + ", inputs.shape=" + shape_str(x.shape()));
  if (!(training && trainable())) return call(x, training);
  // Keras 3: the moments over the unmasked positions only, each count offset by its epsilon (1e-7), so
  // that a batch without one unmasked position gives zeros; the gradient flows through both moments.
  Shape spread = mask.shape();
  spread.push_back(1);
  const Tensor weights = ops::reshape(mask.to(x.dtype()), spread);
  std::vector<int> axes;
  for (int axis = 0; axis + 1 < x.rank(); ++axis) axes.push_back(axis);
  const double count = ops::sum(weights).item() + 1e-7;
  const Tensor mean = ops::scale(ops::sum(ops::mul(x, weights), axes), 1.0 / count);
  const Tensor centered = ops::mul(ops::sub(x, mean), weights);
  const Tensor variance = ops::scale(ops::sum(ops::square(centered), axes), 1.0 / count);
  {
    autodiff::NoGradGuard no_grad;
    move_statistics(mean, variance);
  }
  return normalize(x, mean, variance);
}

}  // namespace cairn
