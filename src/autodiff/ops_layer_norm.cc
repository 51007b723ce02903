// layer_norm: LayerNormalization's fused forward and backward over the last axis (two passes each way
// instead of the ten of the composed ops).
#include <algorithm>
#include <cmath>
#include <memory>
#include <vector>

#include "op_util.h"
#include "cairn/error.h"
#include "cairn/ops.h"
#include "cairn/internal/tensor/cpu_dispatch.h"

namespace cairn::ops {

namespace {

// The sum of term(i) for i in [0, n): 16 float lanes, which the compiler turns into vector registers,
// over blocks of at most 1024 terms (each lane adds at most 64 of them), the blocks' sums in double, so
// that a long row loses no more precision than a short one.
constexpr int kLanes = 16;
constexpr int64_t kBlock = 1024;

template <class Term>
inline double blocked_sum(int64_t n, Term term) {
  double total = 0;
  for (int64_t start = 0; start < n; start += kBlock) {
    const int64_t end = std::min(n, start + kBlock);
    float lanes[kLanes] = {};
    int64_t i = start;
    for (; i + kLanes <= end; i += kLanes)
      for (int j = 0; j < kLanes; ++j) lanes[j] += term(i + j);
    float tail = 0;
    for (; i < end; ++i) tail += term(i);
    for (int width = kLanes / 2; width > 0; width /= 2)
      for (int j = 0; j < width; ++j) lanes[j] += lanes[j + width];
    total += static_cast<double>(lanes[0]) + tail;
  }
  return total;
}

// Normalizes `rows` rows of `features` floats: xhat = (x - mean) / sqrt(variance + epsilon) and
// y = xhat * gamma + beta, keeping each row's 1 / sqrt(variance + epsilon) in `inverse`.
CAIRN_DISPATCHED_KERNEL void layer_norm_forward_rows(int64_t rows, int64_t features, const float* __restrict x,
                                                     const float* __restrict gamma, const float* __restrict beta,
                                                     double epsilon, float* __restrict xhat,
                                                     float* __restrict inverse, float* __restrict y) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* row = x + r * features;
    const float mean = static_cast<float>(blocked_sum(features, [row](int64_t i) { return row[i]; }) / features);
    const double squares = blocked_sum(features, [row, mean](int64_t i) {
      const float d = row[i] - mean;
      return d * d;
    });
    const float inv = static_cast<float>(1.0 / std::sqrt(squares / features + epsilon));
    inverse[r] = inv;
    float* __restrict h = xhat + r * features;
    float* __restrict o = y + r * features;
    for (int64_t i = 0; i < features; ++i) {
      h[i] = (row[i] - mean) * inv;
      o[i] = h[i] * gamma[i] + beta[i];
    }
  }
}

// The backward of layer_norm_forward_rows: dx = inv (dxhat - mean(dxhat) - xhat mean(dxhat xhat)) with
// dxhat = dy gamma; dgamma and dbeta (zeroed by the caller) receive sum(dy xhat) and sum(dy) over the rows.
// `scratch` holds one row.
CAIRN_DISPATCHED_KERNEL void layer_norm_backward_rows(int64_t rows, int64_t features, const float* __restrict dy,
                                                      const float* __restrict xhat, const float* __restrict inverse,
                                                      const float* __restrict gamma, float* __restrict dx,
                                                      float* __restrict dgamma, float* __restrict dbeta,
                                                      float* __restrict scratch) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* __restrict dyr = dy + r * features;
    const float* __restrict h = xhat + r * features;
    for (int64_t i = 0; i < features; ++i) {
      scratch[i] = dyr[i] * gamma[i];
      dgamma[i] += dyr[i] * h[i];
      dbeta[i] += dyr[i];
    }
    const float md = static_cast<float>(blocked_sum(features, [scratch](int64_t i) { return scratch[i]; }) / features);
    const float mdh = static_cast<float>(
        blocked_sum(features, [scratch, h](int64_t i) { return scratch[i] * h[i]; }) / features);
    const float inv = inverse[r];
    float* __restrict d = dx + r * features;
    for (int64_t i = 0; i < features; ++i) d[i] = inv * (scratch[i] - md - h[i] * mdh);
  }
}

}  // namespace

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
  // Without gamma or beta the kernels scale by ones and shift by zeros.
  const std::vector<float> ones(gamma.defined() ? 0 : features, 1.f), zeros(beta.defined() ? 0 : features, 0.f);
  layer_norm_forward_rows(rows, features, x.data<float>(), gamma.defined() ? gamma.data<float>() : ones.data(),
                          beta.defined() ? beta.data<float>() : zeros.data(), epsilon, normalized->data<float>(),
                          inverse->data(), y.data<float>());
  std::vector<Tensor> inputs{x};
  if (gamma.defined()) inputs.push_back(gamma);
  if (beta.defined()) inputs.push_back(beta);
  detail::maybe_record(inputs, y, [normalized, inverse, gamma, beta, features, rows](const std::vector<Tensor>& grads,
                                                                                    const std::vector<bool>&) {
    const std::vector<float> ones(gamma.defined() ? 0 : features, 1.f);
    Tensor dx(normalized->shape(), DType::Float32);
    // New tensors are zeros; without gamma or beta their gradients go to scratch rows.
    Tensor dgamma(Shape{features}, DType::Float32), dbeta(Shape{features}, DType::Float32);
    std::vector<float> scratch(features);
    layer_norm_backward_rows(rows, features, grads[0].data<float>(), normalized->data<float>(), inverse->data(),
                             gamma.defined() ? gamma.data<float>() : ones.data(), dx.data<float>(),
                             dgamma.data<float>(), dbeta.data<float>(), scratch.data());
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
