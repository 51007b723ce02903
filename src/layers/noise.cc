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

AlphaDropout::AlphaDropout(double rate, std::optional<uint64_t> seed, std::string name)
    : NoiseLayer("AlphaDropout", std::move(name), seed), rate_(rate) {
  require_rate("AlphaDropout", rate);  // Keras takes 1 too, whose affine map divides by 0
}

// Each element is kept with probability 1 - rate, else set to SELU's saturation -alpha * scale; then
// a x + b with a and b such that inputs of mean 0 and variance 1 keep them.
Tensor AlphaDropout::call(const Tensor& x, bool training) {
  if (!training || rate_ == 0.0) return x;
  constexpr double kAlpha = 1.6732632423543772848170429916717;  // SELU's constants, as Keras's
  constexpr double kScale = 1.0507009873554804934193349852946;
  const double saturation = -kAlpha * kScale;
  const double a = 1.0 / std::sqrt((1.0 - rate_) * (1.0 + rate_ * saturation * saturation));
  const double b = -a * saturation * rate_;
  const float threshold = static_cast<float>(rate_);
  Tensor slope(x.shape(), DType::Float32), offset(x.shape(), DType::Float32);
  float* s = slope.data<float>();
  float* o = offset.data<float>();
  for (int64_t i = 0; i < x.numel(); ++i) {
    const bool kept = generator().uniform() >= threshold;
    s[i] = kept ? static_cast<float>(a) : 0.f;
    o[i] = static_cast<float>(kept ? b : a * saturation + b);
  }
  return ops::add(ops::mul(x, slope), offset);
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
