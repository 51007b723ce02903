// layer_norm: LayerNormalization's fused forward and backward over the last axis (two passes each way
// instead of the ten of the composed ops).
#include <cmath>
#include <memory>
#include <vector>

#include "op_util.h"
#include "cairn/error.h"
#include "cairn/ops.h"

namespace cairn::ops {

Tensor layer_norm(const Tensor& x, const Tensor& gamma, const Tensor& beta, double epsilon) {
  detail::require_float32(x, "layer_norm");
  if (x.rank() < 1) throw ShapeError("layer_norm: the input must have at least one axis, got a scalar");
  const int64_t features = x.dim(-1);
  for (const Tensor* p : {&gamma, &beta})
    if (p->defined() && (p->dtype() != DType::Float32 || p->shape() != Shape{features}))
      throw ShapeError("layer_norm: gamma and beta must have shape (" + std::to_string(features) + ",) for an input of shape " +
                       shape_str(x.shape()) + ", got " + shape_str(p->shape()));
  const int64_t rows = features ? x.numel() / features : 0;
  Tensor y(x.shape(), DType::Float32);
  // Kept for the backward pass: the normalized input and each row's 1 / sqrt(variance + epsilon).
  auto normalized = std::make_shared<Tensor>(x.shape(), DType::Float32);
  auto inverse = std::make_shared<std::vector<float>>(rows);
  const float* in = x.data<float>();
  const float* g = gamma.defined() ? gamma.data<float>() : nullptr;
  const float* b = beta.defined() ? beta.data<float>() : nullptr;
  float* out = y.data<float>();
  float* xhat = normalized->data<float>();
  for (int64_t r = 0; r < rows; ++r) {
    const float* row = in + r * features;
    double sum = 0;
    for (int64_t i = 0; i < features; ++i) sum += row[i];
    const float mean = static_cast<float>(sum / features);
    double squares = 0;
    for (int64_t i = 0; i < features; ++i) squares += double(row[i] - mean) * double(row[i] - mean);
    const float inv = static_cast<float>(1.0 / std::sqrt(squares / features + epsilon));
    (*inverse)[r] = inv;
    float* h = xhat + r * features;
    float* o = out + r * features;
    for (int64_t i = 0; i < features; ++i) {
      h[i] = (row[i] - mean) * inv;
      o[i] = h[i] * (g ? g[i] : 1.f) + (b ? b[i] : 0.f);
    }
  }
  std::vector<Tensor> inputs{x};
  if (gamma.defined()) inputs.push_back(gamma);
  if (beta.defined()) inputs.push_back(beta);
  detail::maybe_record(inputs, y, [normalized, inverse, gamma, beta, features, rows](const std::vector<Tensor>& grads,
                                                                                    const std::vector<bool>& need) {
    const float* dy = grads[0].data<float>();
    const float* xhat = normalized->data<float>();
    const float* g = gamma.defined() ? gamma.data<float>() : nullptr;
    Tensor dx(normalized->shape(), DType::Float32);
    Tensor dgamma = gamma.defined() ? Tensor(Shape{features}, DType::Float32) : Tensor();
    Tensor dbeta = beta.defined() ? Tensor(Shape{features}, DType::Float32) : Tensor();
    float* d = dx.data<float>();
    std::vector<float> dxhat(features);
    for (int64_t r = 0; r < rows; ++r) {
      const float* dyr = dy + r * features;
      const float* h = xhat + r * features;
      double mean_d = 0, mean_dh = 0;
      for (int64_t i = 0; i < features; ++i) {
        dxhat[i] = dyr[i] * (g ? g[i] : 1.f);
        mean_d += dxhat[i];
        mean_dh += double(dxhat[i]) * h[i];
        if (dgamma.defined()) dgamma.data<float>()[i] += dyr[i] * h[i];
        if (dbeta.defined()) dbeta.data<float>()[i] += dyr[i];
      }
      const float md = static_cast<float>(mean_d / features), mdh = static_cast<float>(mean_dh / features);
      const float inv = (*inverse)[r];
      for (int64_t i = 0; i < features; ++i) d[r * features + i] = inv * (dxhat[i] - md - h[i] * mdh);
    }
    std::vector<Tensor> out{dx};
    if (gamma.defined()) out.push_back(dgamma);
    if (beta.defined()) out.push_back(dbeta);
    return out;
  });
  return y;
}

}  // namespace cairn::ops

namespace cairn::ops {

Tensor batch_norm_training(const Tensor& x, const Tensor& gamma, const Tensor& beta, double epsilon, Tensor& batch_mean,
                           Tensor& batch_variance) {
  detail::require_float32(x, "batch_norm_training");
  if (x.rank() < 1) throw ShapeError("batch_norm_training: the input must have at least one axis, got a scalar");
  const int64_t channels = x.dim(-1);
  for (const Tensor* p : {&gamma, &beta})
    if (p->defined() && (p->dtype() != DType::Float32 || p->shape() != Shape{channels}))
      throw ShapeError("batch_norm_training: gamma and beta must have shape (" + std::to_string(channels) +
                       ",) for an input of shape " + shape_str(x.shape()) + ", got " + shape_str(p->shape()));
  const int64_t rows = channels ? x.numel() / channels : 0;
  const float* in = x.data<float>();
  // Per channel: the mean, then the biased variance, each one pass over the rows.
  std::vector<double> sum(channels, 0.0), squares(channels, 0.0);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < channels; ++c) sum[c] += in[r * channels + c];
  batch_mean = Tensor(Shape{channels}, DType::Float32);
  batch_variance = Tensor(Shape{channels}, DType::Float32);
  float* mean = batch_mean.data<float>();
  for (int64_t c = 0; c < channels; ++c) mean[c] = static_cast<float>(sum[c] / static_cast<double>(rows));
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < channels; ++c) {
      const double d = in[r * channels + c] - mean[c];
      squares[c] += d * d;
    }
  auto inverse = std::make_shared<std::vector<float>>(channels);
  for (int64_t c = 0; c < channels; ++c) {
    batch_variance.data<float>()[c] = static_cast<float>(squares[c] / static_cast<double>(rows));
    (*inverse)[c] = static_cast<float>(1.0 / std::sqrt(squares[c] / static_cast<double>(rows) + epsilon));
  }
  Tensor y(x.shape(), DType::Float32);
  auto normalized = std::make_shared<Tensor>(x.shape(), DType::Float32);
  const float* g = gamma.defined() ? gamma.data<float>() : nullptr;
  const float* b = beta.defined() ? beta.data<float>() : nullptr;
  float* out = y.data<float>();
  float* xhat = normalized->data<float>();
  const float* inv = inverse->data();
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < channels; ++c) {
      const int64_t i = r * channels + c;
      xhat[i] = (in[i] - mean[c]) * inv[c];
      out[i] = xhat[i] * (g ? g[c] : 1.f) + (b ? b[c] : 0.f);
    }
  std::vector<Tensor> inputs{x};
  if (gamma.defined()) inputs.push_back(gamma);
  if (beta.defined()) inputs.push_back(beta);
  detail::maybe_record(inputs, y, [normalized, inverse, gamma, beta, channels, rows](const std::vector<Tensor>& grads,
                                                                                    const std::vector<bool>&) {
    const float* dy = grads[0].data<float>();
    const float* xhat = normalized->data<float>();
    const float* g = gamma.defined() ? gamma.data<float>() : nullptr;
    // Per channel: sum(dy), sum(dy * xhat) over the rows; dx = inv gamma (dy - mean(dy) - xhat mean(dy xhat)).
    std::vector<double> sum_dy(channels, 0.0), sum_dy_xhat(channels, 0.0);
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < channels; ++c) {
        const int64_t i = r * channels + c;
        sum_dy[c] += dy[i];
        sum_dy_xhat[c] += double(dy[i]) * xhat[i];
      }
    Tensor dx(normalized->shape(), DType::Float32);
    float* d = dx.data<float>();
    std::vector<float> scale(channels), mean_dy(channels), mean_dy_xhat(channels);
    for (int64_t c = 0; c < channels; ++c) {
      scale[c] = (*inverse)[c] * (g ? g[c] : 1.f);
      mean_dy[c] = static_cast<float>(sum_dy[c] / static_cast<double>(rows));
      mean_dy_xhat[c] = static_cast<float>(sum_dy_xhat[c] / static_cast<double>(rows));
    }
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < channels; ++c) {
        const int64_t i = r * channels + c;
        d[i] = scale[c] * (dy[i] - mean_dy[c] - xhat[i] * mean_dy_xhat[c]);
      }
    std::vector<Tensor> out{dx};
    if (gamma.defined()) {
      Tensor dgamma(Shape{channels}, DType::Float32);
      for (int64_t c = 0; c < channels; ++c) dgamma.data<float>()[c] = static_cast<float>(sum_dy_xhat[c]);
      out.push_back(dgamma);
    }
    if (beta.defined()) {
      Tensor dbeta(Shape{channels}, DType::Float32);
      for (int64_t c = 0; c < channels; ++c) dbeta.data<float>()[c] = static_cast<float>(sum_dy[c]);
      out.push_back(dbeta);
    }
    return out;
  });
  return y;
}

}  // namespace cairn::ops
