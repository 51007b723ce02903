#include "cairn/layers/noise.h"

#include <cmath>

#include "cairn/error.h"
#include "cairn/ops.h"

namespace cairn {

namespace {

void require_rate(const std::string& layer, double rate) {
  if (!(rate >= 0.0 && rate < 1.0))
    throw InvalidArgument(layer + ": rate must be a float in the range [0, 1), got " + std::to_string(rate));
}

}  // namespace

GaussianNoise::GaussianNoise(double stddev, std::optional<uint64_t> seed, std::string name)
    : NoiseLayer("GaussianNoise", std::move(name), seed), stddev_(stddev) {
  if (!(stddev >= 0.0)) throw InvalidArgument("GaussianNoise: stddev must be non-negative, got " + std::to_string(stddev));
}

Tensor GaussianNoise::call(const Tensor& x, bool training) {
  if (!training || stddev_ == 0.0) return x;
  Tensor noise(x.shape(), DType::Float32);
  for (float& v : noise.span<float>()) v = generator().normal(0.f, static_cast<float>(stddev_));
  return ops::add(x, noise);
}

GaussianDropout::GaussianDropout(double rate, std::optional<uint64_t> seed, std::string name)
    : NoiseLayer("GaussianDropout", std::move(name), seed), rate_(rate) {
  require_rate("GaussianDropout", rate);
}

Tensor GaussianDropout::call(const Tensor& x, bool training) {
  if (!training || rate_ == 0.0) return x;
  const float stddev = static_cast<float>(std::sqrt(rate_ / (1.0 - rate_)));
  Tensor factor(x.shape(), DType::Float32);
  for (float& v : factor.span<float>()) v = generator().normal(1.f, stddev);
  return ops::mul(x, factor);
}

SpatialDropout::SpatialDropout(std::string class_name, int spatial_axes, double rate, std::optional<uint64_t> seed,
                               std::string name)
    : NoiseLayer(class_name, std::move(name), seed), spatial_axes_(spatial_axes), rate_(rate) {
  require_rate(class_name, rate);
}

void SpatialDropout::check_input(const Shape& input_shape) const {
  const size_t rank = static_cast<size_t>(spatial_axes_) + 2;
  if (input_shape.size() != rank)
    incompatible_input("expected ndim=" + std::to_string(rank) + ", found ndim=" + std::to_string(input_shape.size()) +
                       ". Full shape received: " + shape_str(input_shape));
}

// One keep-or-drop draw per sample and channel, broadcast over the spatial axes.
Tensor SpatialDropout::call(const Tensor& x, bool training) {
  if (!training || rate_ == 0.0) return x;
  Shape mask_shape(x.shape().size(), 1);
  mask_shape.front() = x.shape().front();
  mask_shape.back() = x.shape().back();
  Tensor mask(mask_shape, DType::Float32);
  const float keep_scale = static_cast<float>(1.0 / (1.0 - rate_));
  const float threshold = static_cast<float>(rate_);
  for (float& v : mask.span<float>()) v = generator().uniform() >= threshold ? keep_scale : 0.f;
  return ops::mul(x, mask);
}

}  // namespace cairn
