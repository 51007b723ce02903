// Keras 3's activation functions with their gradients, and the table that resolves them by name.
// Adding one: the op (here, or elsewhere in autodiff) and one line in activation_table().
#include <cmath>
#include <functional>
#include <numbers>
#include <string_view>

#include "op_util.h"
#include "cairn/ops.h"

namespace cairn::ops {

using detail::map_float;
using detail::maybe_record;
using detail::require_float32;

namespace {

// y = value(x) elementwise, with dx = dy * slope(x, y).
template <class Value, class Slope>
Tensor elementwise(const Tensor& x, const char* op, Value value, Slope slope) {
  require_float32(x, op);
  Tensor y = map_float(x, value);
  maybe_record({x}, y, [x, y, slope](const std::vector<Tensor>& g, const std::vector<bool>&) {
    Tensor dx(x.shape(), DType::Float32);
    const float* dy = g[0].data<float>();
    const float* xs = x.data<float>();
    const float* ys = y.data<float>();
    float* out = dx.data<float>();
    for (int64_t i = 0; i < x.numel(); ++i) out[i] = dy[i] * slope(xs[i], ys[i]);
    return std::vector<Tensor>{dx};
  });
  return y;
}

float logistic(float x) {
  if (x >= 0.f) return 1.f / (1.f + std::exp(-x));
  const float e = std::exp(x);
  return e / (1.f + e);
}

// log(1 + exp(x)) without overflow or loss of the small tail.
float softplus_value(float x) { return std::max(x, 0.f) + std::log1p(std::exp(-std::fabs(x))); }

// Keras 3's SELU constants (Klambauer et al.).
constexpr float kSeluAlpha = 1.67326324235437728481f;
constexpr float kSeluScale = 1.05070098735548049342f;

}  // namespace

Tensor relu6(const Tensor& a) {
  return elementwise(
      a, "relu6", [](float x) { return x < 0.f ? 0.f : (x > 6.f ? 6.f : x); },
      [](float x, float) { return x > 0.f && x < 6.f ? 1.f : 0.f; });
}

Tensor leaky_relu(const Tensor& a, double negative_slope) {
  const float slope = static_cast<float>(negative_slope);
  return elementwise(
      a, "leaky_relu", [slope](float x) { return x > 0.f ? x : slope * x; },
      [slope](float x, float) { return x > 0.f ? 1.f : slope; });
}

Tensor elu(const Tensor& a, double alpha) {
  const float al = static_cast<float>(alpha);
  return elementwise(
      a, "elu", [al](float x) { return x > 0.f ? x : al * std::expm1(x); },
      [al](float x, float y) { return x > 0.f ? 1.f : y + al; });
}

Tensor selu(const Tensor& a) {
  return elementwise(
      a, "selu", [](float x) { return kSeluScale * (x > 0.f ? x : kSeluAlpha * std::expm1(x)); },
      [](float x, float) { return x > 0.f ? kSeluScale : kSeluScale * kSeluAlpha * std::exp(x); });
}

Tensor softplus(const Tensor& a) {
  return elementwise(a, "softplus", softplus_value, [](float x, float) { return logistic(x); });
}

Tensor softsign(const Tensor& a) {
  return elementwise(
      a, "softsign", [](float x) { return x / (1.f + std::fabs(x)); },
      [](float x, float) {
        const float d = 1.f + std::fabs(x);
        return 1.f / (d * d);
      });
}

Tensor silu(const Tensor& a) {
  return elementwise(
      a, "silu", [](float x) { return x * logistic(x); },
      [](float x, float) {
        const float s = logistic(x);
        return s * (1.f + x * (1.f - s));
      });
}

Tensor gelu(const Tensor& a, bool approximate) {
  if (approximate) {
    // 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), tf.nn.gelu(approximate=True).
    constexpr float k = 0.7978845608028654f, c = 0.044715f;
    return elementwise(
        a, "gelu", [](float x) { return 0.5f * x * (1.f + std::tanh(k * (x + c * x * x * x))); },
        [](float x, float) {
          const float t = std::tanh(k * (x + c * x * x * x));
          return 0.5f * (1.f + t) + 0.5f * x * (1.f - t * t) * k * (1.f + 3.f * c * x * x);
        });
  }
  // 0.5 x (1 + erf(x / sqrt(2))).
  constexpr float inv_sqrt2 = 0.7071067811865476f, inv_sqrt_2pi = 0.3989422804014327f;
  return elementwise(
      a, "gelu", [](float x) { return 0.5f * x * (1.f + std::erf(x * inv_sqrt2)); },
      [](float x, float) { return 0.5f * (1.f + std::erf(x * inv_sqrt2)) + x * inv_sqrt_2pi * std::exp(-0.5f * x * x); });
}

Tensor hard_sigmoid(const Tensor& a) {
  // Keras 3: relu6(x + 3) / 6 (tf.keras 2's was clip(0.2 x + 0.5, 0, 1)).
  return elementwise(
      a, "hard_sigmoid", [](float x) { return (x <= -3.f ? 0.f : (x >= 3.f ? 6.f : x + 3.f)) / 6.f; },
      [](float x, float) { return x > -3.f && x < 3.f ? 1.f / 6.f : 0.f; });
}

Tensor hard_silu(const Tensor& a) {
  return elementwise(
      a, "hard_silu", [](float x) { return x * ((x <= -3.f ? 0.f : (x >= 3.f ? 6.f : x + 3.f)) / 6.f); },
      [](float x, float) { return x <= -3.f ? 0.f : (x >= 3.f ? 1.f : (2.f * x + 3.f) / 6.f); });
}

Tensor mish(const Tensor& a) {
  return elementwise(
      a, "mish", [](float x) { return x * std::tanh(softplus_value(x)); },
      [](float x, float) {
        const float t = std::tanh(softplus_value(x));
        return t + x * (1.f - t * t) * logistic(x);
      });
}

Tensor celu(const Tensor& a, double alpha) {
  const float al = static_cast<float>(alpha);
  return elementwise(
      a, "celu", [al](float x) { return x > 0.f ? x : al * std::expm1(x / al); },
      [al](float x, float) { return x > 0.f ? 1.f : std::exp(x / al); });
}

Tensor hard_tanh(const Tensor& a) {
  return elementwise(
      a, "hard_tanh", [](float x) { return x < -1.f ? -1.f : (x > 1.f ? 1.f : x); },
      [](float x, float) { return x > -1.f && x < 1.f ? 1.f : 0.f; });
}

Tensor log_sigmoid(const Tensor& a) {
  return elementwise(
      a, "log_sigmoid", [](float x) { return -softplus_value(-x); }, [](float x, float) { return logistic(-x); });
}

Tensor tanh_shrink(const Tensor& a) {
  return elementwise(
      a, "tanh_shrink", [](float x) { return x - std::tanh(x); },
      [](float x, float) {
        const float t = std::tanh(x);
        return t * t;
      });
}

Tensor soft_shrink(const Tensor& a, double threshold) {
  const float t = static_cast<float>(threshold);
  return elementwise(
      a, "soft_shrink", [t](float x) { return x > t ? x - t : (x < -t ? x + t : 0.f); },
      [t](float x, float) { return x > t || x < -t ? 1.f : 0.f; });
}

Tensor hard_shrink(const Tensor& a, double threshold) {
  const float t = static_cast<float>(threshold);
  return elementwise(
      a, "hard_shrink", [t](float x) { return x > t || x < -t ? x : 0.f; },
      [t](float x, float) { return x > t || x < -t ? 1.f : 0.f; });
}

Tensor squareplus(const Tensor& a, double b) {
  const float bf = static_cast<float>(b);
  return elementwise(
      a, "squareplus", [bf](float x) { return (x + std::sqrt(x * x + bf)) / 2.f; },
      [bf](float x, float) { return (1.f + x / std::sqrt(x * x + bf)) / 2.f; });
}

Tensor sparse_plus(const Tensor& a) {
  return elementwise(
      a, "sparse_plus", [](float x) { return x <= -1.f ? 0.f : (x >= 1.f ? x : (x + 1.f) * (x + 1.f) / 4.f); },
      [](float x, float) { return x <= -1.f ? 0.f : (x >= 1.f ? 1.f : (x + 1.f) / 2.f); });
}

Tensor power(const Tensor& a, double exponent) {
  const float e = static_cast<float>(exponent);
  return elementwise(
      a, "power", [e](float x) { return std::pow(x, e); },
      [e](float x, float) { return e == 0.f ? 0.f : e * std::pow(x, e - 1.f); });
}

namespace {

struct ActivationEntry {
  std::string_view name;  // with its length, so that a lookup rejects most entries without reading them
  std::function<Tensor(const Tensor&)> apply;
};

// Keras 3's activation identifiers with their default arguments (leaky_relu's negative_slope 0.2,
// elu's alpha 1, gelu exact), in keras.activations' order; aliases next to their function.
const std::vector<ActivationEntry>& activation_table() {
  static const std::vector<ActivationEntry> table = {
      {"relu", [](const Tensor& x) { return relu(x); }},
      {"leaky_relu", [](const Tensor& x) { return leaky_relu(x); }},
      {"relu6", relu6},
      {"softmax", [](const Tensor& x) { return softmax(x); }},
      {"elu", [](const Tensor& x) { return elu(x); }},
      {"selu", selu},
      {"softplus", softplus},
      {"softsign", softsign},
      {"silu", silu},
      {"swish", silu},
      {"gelu", [](const Tensor& x) { return gelu(x); }},
      {"tanh", [](const Tensor& x) { return tanh(x); }},
      {"sigmoid", [](const Tensor& x) { return sigmoid(x); }},
      {"exponential", [](const Tensor& x) { return exp(x); }},
      {"hard_sigmoid", hard_sigmoid},
      {"hard_silu", hard_silu},
      {"hard_swish", hard_silu},
      {"hard_tanh", hard_tanh},
      {"hard_shrink", [](const Tensor& x) { return hard_shrink(x); }},
      {"soft_shrink", [](const Tensor& x) { return soft_shrink(x); }},
      {"tanh_shrink", tanh_shrink},
      {"celu", [](const Tensor& x) { return celu(x); }},
      {"squareplus", [](const Tensor& x) { return squareplus(x); }},
      {"sparse_plus", sparse_plus},
      {"linear", [](const Tensor& x) { return x; }},
      {"mish", mish},
      {"log_softmax", [](const Tensor& x) { return log_softmax(x); }},
      {"log_sigmoid", log_sigmoid},
  };
  return table;
}

// Layers look their activation up on every call (Dense, Conv2D...): compare lengths first.
const ActivationEntry* find_activation(std::string_view name) {
  for (const ActivationEntry& entry : activation_table())
    if (entry.name == name) return &entry;
  return nullptr;
}

}  // namespace

std::vector<std::string> activation_names() {
  std::vector<std::string> names;
  for (const ActivationEntry& entry : activation_table()) names.emplace_back(entry.name);
  return names;
}

bool is_activation_name(const std::string& name) { return name.empty() || find_activation(name) != nullptr; }

Tensor activation(const Tensor& a, const std::string& name) {
  if (name.empty()) return a;
  if (const ActivationEntry* entry = find_activation(name)) return entry->apply(a);
  std::string known;
  for (const ActivationEntry& entry : activation_table()) known += (known.empty() ? "" : ", ") + std::string(entry.name);
  throw InvalidArgument("Unknown activation function: '" + name + "'. Expected one of " + known);
}

}  // namespace cairn::ops
