// Elementwise ops and activations with their gradients.
#include <cmath>

#include "op_util.h"
#include "cairn/ops.h"
#include "cairn/internal/tensor/cpu_dispatch.h"
#include "cairn/internal/tensor/nan_max.h"

namespace cairn::ops {

using detail::broadcast_float;
using detail::map_float;
using detail::maybe_record;
using detail::require_float32;
using detail::sum_to_shape;
using detail::zip_float;

namespace {
// dx[i] = dy[i] * local(x[i], y[i]).
template <class Local>
CAIRN_DISPATCHED_KERNEL void unary_gradient(int64_t n, const float* __restrict dy, const float* __restrict x,
                                            const float* __restrict y, float* __restrict dx, Local local) {
  for (int64_t i = 0; i < n; ++i) dx[i] = dy[i] * local(x[i], y[i]);
}

// Records a unary op whose input gradient is grad * local(x, y) elementwise.
template <class Local>
void record_unary(const Tensor& x, const Tensor& y, Local local) {
  maybe_record({x}, y, [x, y, local](const std::vector<Tensor>& g, const std::vector<bool>&) {
    Tensor out = Tensor::uninitialized(x.shape(), DType::Float32);
    unary_gradient(x.numel(), g[0].data<float>(), x.data<float>(), y.data<float>(), out.data<float>(), local);
    return std::vector<Tensor>{out};
  });
}

void check_binary(const Tensor& a, const Tensor& b, const char* op) {
  require_float32(a, op);
  require_float32(b, op);
}
}  // namespace

Tensor add(const Tensor& a, const Tensor& b) {
  check_binary(a, b, "add");
  Tensor y = broadcast_float(a, b, "add", [](float p, float q) { return p + q; });
  maybe_record({a, b}, y, [sa = a.shape(), sb = b.shape()](const std::vector<Tensor>& g, const std::vector<bool>& need) {
    return std::vector<Tensor>{need[0] ? sum_to_shape(g[0], sa) : Tensor(), need[1] ? sum_to_shape(g[0], sb) : Tensor()};
  });
  return y;
}

Tensor sub(const Tensor& a, const Tensor& b) {
  check_binary(a, b, "sub");
  Tensor y = broadcast_float(a, b, "sub", [](float p, float q) { return p - q; });
  maybe_record({a, b}, y, [sa = a.shape(), sb = b.shape()](const std::vector<Tensor>& g, const std::vector<bool>& need) {
    return std::vector<Tensor>{need[0] ? sum_to_shape(g[0], sa) : Tensor(),
                               need[1] ? sum_to_shape(neg(g[0]), sb) : Tensor()};
  });
  return y;
}

Tensor mul(const Tensor& a, const Tensor& b) {
  check_binary(a, b, "mul");
  Tensor y = broadcast_float(a, b, "mul", [](float p, float q) { return p * q; });
  maybe_record({a, b}, y, [a, b](const std::vector<Tensor>& g, const std::vector<bool>& need) {
    return std::vector<Tensor>{need[0] ? sum_to_shape(mul(g[0], b), a.shape()) : Tensor(),
                               need[1] ? sum_to_shape(mul(g[0], a), b.shape()) : Tensor()};
  });
  return y;
}

Tensor div(const Tensor& a, const Tensor& b) {
  check_binary(a, b, "div");
  Tensor y = broadcast_float(a, b, "div", [](float p, float q) { return p / q; });
  maybe_record({a, b}, y, [a, b, y](const std::vector<Tensor>& g, const std::vector<bool>& need) {
    return std::vector<Tensor>{need[0] ? sum_to_shape(div(g[0], b), a.shape()) : Tensor(),
                               need[1] ? sum_to_shape(neg(div(mul(g[0], y), b)), b.shape()) : Tensor()};
  });
  return y;
}

Tensor maximum(const Tensor& a, const Tensor& b) {
  check_binary(a, b, "maximum");
  Tensor y = broadcast_float(a, b, "maximum", [](float p, float q) { return kernels::max_propagating_nan(p, q); });
  maybe_record({a, b}, y, [a, b](const std::vector<Tensor>& g, const std::vector<bool>& need) {
    Tensor a_wins = broadcast_float(a, b, "maximum", [](float p, float q) { return p >= q ? 1.f : 0.f; });
    Tensor b_wins = map_float(a_wins, [](float w) { return 1.f - w; });
    return std::vector<Tensor>{need[0] ? sum_to_shape(mul(g[0], a_wins), a.shape()) : Tensor(),
                               need[1] ? sum_to_shape(mul(g[0], b_wins), b.shape()) : Tensor()};
  });
  return y;
}

Tensor scale(const Tensor& a, double factor) {
  require_float32(a, "scale");
  const float f = static_cast<float>(factor);
  Tensor y = map_float(a, [f](float x) { return x * f; });
  record_unary(a, y, [f](float, float) { return f; });
  return y;
}

Tensor add_scalar(const Tensor& a, double value) {
  require_float32(a, "add_scalar");
  const float v = static_cast<float>(value);
  Tensor y = map_float(a, [v](float x) { return x + v; });
  record_unary(a, y, [](float, float) { return 1.f; });
  return y;
}

Tensor neg(const Tensor& a) { return scale(a, -1.0); }

Tensor exp(const Tensor& a) {
  require_float32(a, "exp");
  Tensor y = map_float(a, [](float x) { return std::exp(x); });
  record_unary(a, y, [](float, float e) { return e; });
  return y;
}

Tensor log(const Tensor& a) {
  require_float32(a, "log");
  Tensor y = map_float(a, [](float x) { return std::log(x); });
  record_unary(a, y, [](float x, float) { return 1.f / x; });
  return y;
}

Tensor sqrt(const Tensor& a) {
  require_float32(a, "sqrt");
  Tensor y = map_float(a, [](float x) { return std::sqrt(x); });
  record_unary(a, y, [](float, float r) { return 0.5f / r; });
  return y;
}

Tensor square(const Tensor& a) {
  require_float32(a, "square");
  Tensor y = map_float(a, [](float x) { return x * x; });
  record_unary(a, y, [](float x, float) { return 2.f * x; });
  return y;
}

Tensor abs(const Tensor& a) {
  require_float32(a, "abs");
  Tensor y = map_float(a, [](float x) { return std::fabs(x); });
  record_unary(a, y, [](float x, float) { return x > 0.f ? 1.f : (x < 0.f ? -1.f : 0.f); });
  return y;
}

Tensor clip(const Tensor& a, double low, double high) {
  require_float32(a, "clip");
  if (low > high) throw InvalidArgument("clip: low " + std::to_string(low) + " is above high " + std::to_string(high));
  const float lo = static_cast<float>(low), hi = static_cast<float>(high);
  Tensor y = map_float(a, [lo, hi](float x) { return x < lo ? lo : (x > hi ? hi : x); });
  // A NaN passes through, and so does its gradient (TensorFlow's ClipByValue gradient).
  record_unary(a, y, [lo, hi](float x, float) { return (x < lo || x > hi) ? 0.f : 1.f; });
  return y;
}

Tensor relu(const Tensor& a) {
  require_float32(a, "relu");
  // NaN stays NaN, as in TensorFlow (`x > 0 ? x : 0` would make it 0); still one vector max.
  Tensor y = map_float(a, [](float x) { return x < 0.f ? 0.f : x; });
  // TensorFlow's ReluGrad: the gradient where x > 0, else 0 (so 0 at a NaN x, NaN for a NaN gradient).
  record_unary(a, y, [](float x, float) { return x > 0.f ? 1.f : 0.f; });
  return y;
}

Tensor sigmoid(const Tensor& a) {
  require_float32(a, "sigmoid");
  // Split by sign so that exp never overflows.
  Tensor y = map_float(a, [](float x) {
    if (x >= 0.f) return 1.f / (1.f + std::exp(-x));
    float e = std::exp(x);
    return e / (1.f + e);
  });
  record_unary(a, y, [](float, float s) { return s * (1.f - s); });
  return y;
}

Tensor tanh(const Tensor& a) {
  require_float32(a, "tanh");
  Tensor y = map_float(a, [](float x) { return std::tanh(x); });
  record_unary(a, y, [](float, float t) { return 1.f - t * t; });
  return y;
}

Tensor cast(const Tensor& a, DType dtype) {
  Tensor y = a.to(dtype);
  if (is_floating(a.dtype()) && is_floating(dtype)) {
    maybe_record({a}, y, [from = a.dtype()](const std::vector<Tensor>& g, const std::vector<bool>&) {
      return std::vector<Tensor>{g[0].to(from)};
    });
  }
  return y;
}

Tensor stop_gradient(const Tensor& a) { return a.clone(); }

Tensor equal(const Tensor& a, const Tensor& b) {
  Tensor af = a.to(DType::Float32), bf = b.to(DType::Float32);
  Tensor eq = broadcast_float(af, bf, "equal", [](float p, float q) { return p == q ? 1.f : 0.f; });
  return eq.to(DType::Bool);
}

}  // namespace cairn::ops
