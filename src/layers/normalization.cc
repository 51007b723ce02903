#include "cairn/layers/normalization.h"

#include <algorithm>
#include <cmath>

#include "cairn/error.h"
#include "cairn/ops.h"

namespace cairn {

namespace {

constexpr double kEpsilon = 1e-7;  // Keras's backend.epsilon()

}  // namespace

Normalization::Normalization(NormalizationOptions options)
    : Layer("Normalization", options.name), options_(std::move(options)) {
  const bool has_mean = options_.mean.defined(), has_variance = options_.variance.defined();
  if (has_mean != has_variance)
    throw InvalidArgument("Normalization: when setting values directly, both `mean` and `variance` must be set");
  if (has_mean) {
    if (options_.mean.shape() != options_.variance.shape())
      throw InvalidArgument("Normalization: when setting values directly, `mean` and `variance` must have the same "
                            "shape. Received: mean shape " + shape_str(options_.mean.shape()) + " and variance shape " +
                            shape_str(options_.variance.shape()));
    if (options_.mean.shape().size() > options_.axis.size())
      throw InvalidArgument("Normalization: the rank of `mean` must be less than or equal to the number of axes (" +
                            std::to_string(options_.axis.size()) + "). Received: mean shape " +
                            shape_str(options_.mean.shape()));
    given_mean_ = options_.mean.to(DType::Float32);
    given_variance_ = options_.variance.to(DType::Float32);
  }
}

std::vector<int> Normalization::kept_axes(int rank) const {
  std::vector<int> kept;
  for (int axis : options_.axis) kept.push_back(axis < 0 ? axis + rank : axis);
  std::sort(kept.begin(), kept.end());
  return kept;
}

void Normalization::check_input(const Shape& input_shape) const {
  const int rank = static_cast<int>(input_shape.size());
  for (int axis : options_.axis)
    if (axis < -rank || axis >= rank)
      incompatible_input("all `axis` values must be in the range [-ndim, ndim). Received inputs with ndim=" +
                         std::to_string(rank) + " (shape " + shape_str(input_shape) + "), while axis=" +
                         std::to_string(axis));
  for (int d : kept_axes(rank)) {
    if (input_shape[d] < 0)
      incompatible_input("all `axis` values to be kept must have a known shape; axis " + std::to_string(d) +
                         " of " + shape_str(input_shape) + " is unknown");
    if (built() && input_shape[d] != broadcast_shape_[d])
      incompatible_input("expected axis " + std::to_string(d) + " of input shape to have value " +
                         std::to_string(broadcast_shape_[d]) + ", but received input with shape " +
                         shape_str(input_shape));
  }
}

void Normalization::build_impl(const Shape& input_shape) {
  const std::vector<int> kept = kept_axes(static_cast<int>(input_shape.size()));
  broadcast_shape_.assign(input_shape.size(), 1);
  Shape statistics_shape;
  for (int d : kept) {
    broadcast_shape_[d] = input_shape[d];
    statistics_shape.push_back(input_shape[d]);
  }
  if (given_mean_.defined()) {
    // Keras lines the given statistic's axes up with the last kept axes; each must match or be 1.
    const Shape& given = given_mean_.shape();
    for (size_t i = 1; i <= given.size(); ++i) {
      const int64_t want = statistics_shape[statistics_shape.size() - i];
      if (given[given.size() - i] != want && given[given.size() - i] != 1)
        incompatible_input("the given mean and variance of shape " + shape_str(given) +
                           " do not broadcast to the kept axes' shape " + shape_str(statistics_shape) +
                           " of input shape " + shape_str(input_shape));
    }
    return;
  }
  mean_ = add_weight("mean", statistics_shape, zeros(), false);
  variance_ = add_weight("variance", statistics_shape, ones(), false);
  count_ = add_weight("count", {}, zeros(), false, DType::Int64);
}

Tensor Normalization::broadcastable(const Tensor& statistic) const {
  Shape shape(broadcast_shape_.size(), 1);
  const std::vector<int> kept = kept_axes(static_cast<int>(broadcast_shape_.size()));
  const Shape& own = statistic.shape();
  for (size_t i = 1; i <= own.size(); ++i) shape[kept[kept.size() - i]] = own[own.size() - i];
  return ops::reshape(statistic, shape);
}

void Normalization::adapt(const Tensor& data) {
  if (options_.mean.defined())
    throw InvalidArgument("Normalization '" + name() + "': adapt() needs a layer made without `mean` and `variance`");
  if (!data.defined() || data.shape().empty() || data.numel() == 0)
    throw ShapeError("Normalization '" + name() + "': adapt() needs a batch of data, got shape " +
                     (data.defined() ? shape_str(data.shape()) : std::string("(undefined)")));
  if (!built()) build(data.shape());
  else check_input(data.shape());
  // Two passes in double, kept as float32 as the weights are; the variance is the biased one (numpy.var).
  const Tensor values = data.to(DType::Float64);
  const Shape& shape = data.shape();
  const std::vector<int> kept = kept_axes(static_cast<int>(shape.size()));
  const int64_t positions = mean_->value().numel(), per_position = values.numel() / std::max<int64_t>(positions, 1);
  // The statistic each element belongs to: its indices on the kept axes, row-major.
  std::vector<int64_t> position_of(static_cast<size_t>(values.numel()));
  for (int64_t i = 0; i < values.numel(); ++i) {
    int64_t rest = i, position = 0, stride = 1;
    for (int d = static_cast<int>(shape.size()) - 1; d >= 0; --d) {
      const int64_t index = rest % shape[d];
      rest /= shape[d];
      if (std::count(kept.begin(), kept.end(), d)) {
        position += index * stride;
        stride *= shape[d];
      }
    }
    position_of[static_cast<size_t>(i)] = position;
  }
  std::vector<double> sum(static_cast<size_t>(positions), 0.0), squares(static_cast<size_t>(positions), 0.0);
  const double* v = values.data<double>();
  for (int64_t i = 0; i < values.numel(); ++i) sum[static_cast<size_t>(position_of[static_cast<size_t>(i)])] += v[i];
  for (double& s : sum) s /= static_cast<double>(per_position);
  for (int64_t i = 0; i < values.numel(); ++i) {
    const double d = v[i] - sum[static_cast<size_t>(position_of[static_cast<size_t>(i)])];
    squares[static_cast<size_t>(position_of[static_cast<size_t>(i)])] += d * d;
  }
  Tensor mean(mean_->shape()), variance(variance_->shape());
  for (int64_t p = 0; p < positions; ++p) {
    mean.data<float>()[p] = static_cast<float>(sum[static_cast<size_t>(p)]);
    variance.data<float>()[p] = static_cast<float>(squares[static_cast<size_t>(p)] / static_cast<double>(per_position));
  }
  mean_->assign(mean);
  variance_->assign(variance);
}

Tensor Normalization::call(const Tensor& x, bool) {
  const Tensor input = x.dtype() == DType::Float32 ? x : x.to(DType::Float32);
  const Tensor mean = broadcastable(mean_ ? mean_->value() : given_mean_);
  const Tensor variance = broadcastable(variance_ ? variance_->value() : given_variance_);
  const Tensor scale = ops::maximum(ops::sqrt(variance), Tensor::scalar(kEpsilon));
  return options_.invert ? ops::add(mean, ops::mul(input, scale)) : ops::div(ops::sub(input, mean), scale);
}

}  // namespace cairn
