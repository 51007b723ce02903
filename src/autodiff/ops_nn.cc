// Dropout and the fused cross-entropy losses.
#include <algorithm>
#include <cmath>
#include <limits>

#include "op_util.h"
#include "cairn/ops.h"

namespace cairn::ops {

using detail::maybe_record;
using detail::require_float32;

Tensor dropout(const Tensor& x, double rate, Generator& generator) {
  require_float32(x, "dropout");
  if (!(rate >= 0.0 && rate < 1.0)) throw InvalidArgument("dropout: rate must be in [0, 1), got " + std::to_string(rate));
  if (rate == 0.0) return x;
  const float keep_scale = static_cast<float>(1.0 / (1.0 - rate));
  // Compare 24-bit uniforms with the rate, as a float, so that the mask depends only on the stream.
  const float threshold = static_cast<float>(rate);
  Tensor mask(x.shape(), DType::Float32);
  float* m = mask.data<float>();
  const int64_t n = x.numel();
  for (int64_t i = 0; i < n; ++i) m[i] = generator.uniform() >= threshold ? keep_scale : 0.f;
  Tensor y = detail::zip_float(x, mask, [](float a, float b) { return a * b; });
  maybe_record({x}, y, [mask](const std::vector<Tensor>& g, const std::vector<bool>&) {
    return std::vector<Tensor>{detail::zip_float(g[0], mask, [](float a, float b) { return a * b; })};
  });
  return y;
}

Tensor sparse_softmax_cross_entropy(const Tensor& logits, const Tensor& labels) {
  require_float32(logits, "sparse_softmax_cross_entropy");
  detail::require_rank(logits, 2, "sparse_softmax_cross_entropy", "logits");
  const int64_t batch = logits.dim(0), classes = logits.dim(1);
  if (labels.rank() != 1 || labels.dim(0) != batch)
    throw ShapeError("sparse_softmax_cross_entropy: labels of shape " + shape_str(labels.shape()) +
                     " do not match logits of shape " + shape_str(logits.shape()));
  Tensor ids = labels.to(DType::Int64);
  const int64_t* id = ids.data<int64_t>();
  for (int64_t b = 0; b < batch; ++b)
    if (id[b] < 0 || id[b] >= classes)
      throw InvalidArgument("sparse_softmax_cross_entropy: label " + std::to_string(id[b]) + " at index " +
                            std::to_string(b) + " is outside the valid range [0, " + std::to_string(classes) + ")");
  Tensor probs(logits.shape(), DType::Float32);
  Tensor loss({batch}, DType::Float32);
  const float* x = logits.data<float>();
  float* p = probs.data<float>();
  float* l = loss.data<float>();
  for (int64_t b = 0; b < batch; ++b) {
    const float* xb = x + b * classes;
    float* pb = p + b * classes;
    const float m = *std::max_element(xb, xb + classes);
    float total = 0.f;
    for (int64_t c = 0; c < classes; ++c) total += pb[c] = std::exp(xb[c] - m);
    const float log_total = std::log(total);
    for (int64_t c = 0; c < classes; ++c) pb[c] /= total;
    l[b] = log_total - (xb[id[b]] - m);  // x - m is exact; keeps precision at large logits
  }
  maybe_record({logits}, loss, [probs, ids, batch, classes](const std::vector<Tensor>& g, const std::vector<bool>&) {
    // d loss_b / d logits_bc = softmax_bc - onehot_bc
    Tensor grad = probs.clone();
    float* d = grad.data<float>();
    const float* gl = g[0].data<float>();
    const int64_t* id = ids.data<int64_t>();
    for (int64_t b = 0; b < batch; ++b) {
      d[b * classes + id[b]] -= 1.f;
      for (int64_t c = 0; c < classes; ++c) d[b * classes + c] *= gl[b];
    }
    return std::vector<Tensor>{grad};
  });
  return loss;
}

Tensor sigmoid_cross_entropy(const Tensor& logits, const Tensor& labels) {
  require_float32(logits, "sigmoid_cross_entropy");
  if (labels.shape() != logits.shape())
    throw ShapeError("sigmoid_cross_entropy: labels of shape " + shape_str(labels.shape()) +
                     " do not match logits of shape " + shape_str(logits.shape()));
  Tensor z = labels.dtype() == DType::Float32 ? labels : labels.to(DType::Float32);
  Tensor loss = detail::zip_float(logits, z, [](float x, float t) {
    return std::max(x, 0.f) - x * t + std::log1p(std::exp(-std::fabs(x)));
  });
  maybe_record({logits, z}, loss, [logits, z](const std::vector<Tensor>& g, const std::vector<bool>& need) {
    Tensor s = sigmoid(logits);
    Tensor gx = need[0] ? mul(g[0], sub(s, z)) : Tensor();
    Tensor gz = need[1] ? mul(g[0], neg(logits)) : Tensor();
    return std::vector<Tensor>{gx, gz};
  });
  return loss;
}

Padding padding_from_name(const std::string& name) {
  std::string lower = name;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  if (lower == "same") return Padding::Same;
  if (lower == "valid") return Padding::Valid;
  throw InvalidArgument("padding must be 'same' or 'valid', got '" + name + "'");
}

}  // namespace cairn::ops
