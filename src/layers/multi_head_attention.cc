#include "cairn/layers/multi_head_attention.h"

#include <cmath>

#include "cairn/error.h"
#include "cairn/ops.h"

namespace cairn {

namespace {

// The projections: tf.keras 2 weight names (query/kernel), Keras 3 objects (query_dense) and the attributes
// that TensorFlow checkpoints name them by (_query_dense, in tf-keras's and Keras 3's alike).
constexpr const char* kProjections[4] = {"query", "key", "value", "attention_output"};
constexpr const char* kKeras3Objects[4] = {"query_dense", "key_dense", "value_dense", "output_dense"};
constexpr const char* kCheckpointObjects[4] = {"_query_dense", "_key_dense", "_value_dense", "_output_dense"};

}  // namespace

MultiHeadAttention::MultiHeadAttention(int64_t num_heads, int64_t key_dim, MultiHeadAttentionOptions options)
    : Layer("MultiHeadAttention", options.name, options.seed), num_heads_(num_heads), key_dim_(key_dim),
      options_(std::move(options)) {
  if (num_heads <= 0)
    throw InvalidArgument("MultiHeadAttention: num_heads must be a positive integer, got " + std::to_string(num_heads));
  if (key_dim <= 0)
    throw InvalidArgument("MultiHeadAttention: key_dim must be a positive integer, got " + std::to_string(key_dim));
  if (options_.value_dim && *options_.value_dim <= 0)
    throw InvalidArgument("MultiHeadAttention: value_dim must be a positive integer, got " +
                          std::to_string(*options_.value_dim));
  if (!options_.kernel_initializer || !options_.bias_initializer)
    throw InvalidArgument("MultiHeadAttention: kernel_initializer and bias_initializer must be set");
}

// A single input reaches build_impl only when build_multi has not built the layer first.
void MultiHeadAttention::build_impl(const Shape& input_shape) {
  if (!kernels_[0])
    incompatible_input("MultiHeadAttention is called on [query, value] or [query, value, key], got one input of shape " +
                       shape_str(input_shape));
}

Tensor MultiHeadAttention::call(const Tensor& x, bool) {
  incompatible_input("MultiHeadAttention is called on [query, value] or [query, value, key], got one input of shape " +
                     shape_str(x.shape()));
}

void MultiHeadAttention::check_inputs(const std::vector<Shape>& shapes) const {
  if (shapes.size() != 2 && shapes.size() != 3)
    incompatible_input("MultiHeadAttention is called on [query, value] or [query, value, key], got " +
                       std::to_string(shapes.size()) + " inputs");
  for (const Shape& s : shapes)
    if (s.size() != 3)
      incompatible_input("query, value and key must have shape (batch, steps, features), got " + shape_str(s));
  const Shape& value = shapes[1];
  const Shape& key = shapes.size() == 3 ? shapes[2] : shapes[1];
  if (key[1] >= 0 && value[1] >= 0 && key[1] != value[1])
    incompatible_input("key and value must have the same number of steps, got key " + shape_str(key) + " and value " +
                       shape_str(value));
  if (shapes[0][0] >= 0 && value[0] >= 0 && shapes[0][0] != value[0])
    incompatible_input("query " + shape_str(shapes[0]) + " and value " + shape_str(value) + " differ in batch size");
  if (built())
    for (int i = 0; i < 3; ++i) {
      const Shape& s = i == 0 ? shapes[0] : i == 1 ? key : value;
      if (s.back() != kernels_[i]->shape()[0])
        incompatible_input(std::string(kProjections[i]) + " has " + std::to_string(s.back()) +
                           " features, but the layer was built for " + std::to_string(kernels_[i]->shape()[0]) +
                           " (shape " + shape_str(s) + ")");
    }
}

void MultiHeadAttention::build_multi(const std::vector<Shape>& input_shapes) {
  check_inputs(input_shapes);
  if (built()) return;  // called again for each functional call of a built layer
  const Shape& query = input_shapes[0];
  const Shape& value = input_shapes[1];
  const Shape& key = input_shapes.size() == 3 ? input_shapes[2] : value;
  for (const Shape* s : {&query, &key, &value})
    if (s->back() <= 0) incompatible_input("the last dimension of every input must be defined, got " + shape_str(*s));
  const int64_t dims[3] = {key_dim_, key_dim_, value_dim()};
  const int64_t features[3] = {query.back(), key.back(), value.back()};
  for (int i = 0; i < 3; ++i) {
    kernels_[i] = add_weight(std::string(kProjections[i]) + "/kernel", {features[i], num_heads_, dims[i]},
                             options_.kernel_initializer);
    if (options_.use_bias)
      biases_[i] = add_weight(std::string(kProjections[i]) + "/bias", {num_heads_, dims[i]}, options_.bias_initializer);
  }
  kernels_[3] = add_weight("attention_output/kernel", {num_heads_, value_dim(), query.back()}, options_.kernel_initializer);
  if (options_.use_bias) biases_[3] = add_weight("attention_output/bias", {query.back()}, options_.bias_initializer);
  build(query);
}

std::vector<Layer::KerasWeightPath> MultiHeadAttention::keras_weight_paths() const {
  std::vector<KerasWeightPath> paths;
  for (const auto& [name, variable] : own_weights()) {
    const std::string projection = name.substr(0, name.find('/'));
    const std::string weight = name.substr(name.find('/') + 1);
    int i = 0;
    while (i < 3 && projection != kProjections[i]) ++i;
    paths.push_back({weight, name, kKeras3Objects[i], kCheckpointObjects[i]});
  }
  return paths;
}

Tensor MultiHeadAttention::call_multi(const std::vector<Tensor>& xs, bool) { return attend(xs, Tensor()); }

Tensor MultiHeadAttention::call_multi_with_masks(const std::vector<Tensor>& xs, const std::vector<Tensor>& masks, bool) {
  std::vector<Shape> shapes;
  for (const Tensor& x : xs) shapes.push_back(x.shape());
  check_inputs(shapes);
  // Keras 3: the query's mask (batch, T, 1), the value's and the key's (batch, 1, S), and-ed together.
  const int64_t batch = xs[0].dim(0), query_steps = xs[0].dim(1), value_steps = xs[1].dim(1);
  std::vector<float> allowed(static_cast<size_t>(batch * query_steps * value_steps), 1.0f);
  const char* roles[3] = {"query", "value", "key"};
  for (size_t i = 0; i < masks.size() && i < 3; ++i) {
    if (!masks[i].defined()) continue;
    if (masks[i].rank() != 2)
      throw ShapeError("layer \"" + name() + "\": the " + roles[i] + "'s mask must have shape (batch, steps), got " +
                       shape_str(masks[i].shape()) + " for " + roles[i] + " shape " + shape_str(xs[i].shape()));
    const std::vector<double> m = masks[i].to(DType::Float64).to_vector<double>();
    for (int64_t b = 0; b < batch; ++b)
      for (int64_t t = 0; t < query_steps; ++t)
        for (int64_t s = 0; s < value_steps; ++s) {
          const double keep = i == 0 ? m[static_cast<size_t>(b * query_steps + t)] : m[static_cast<size_t>(b * value_steps + s)];
          if (!(keep > 0.5)) allowed[static_cast<size_t>((b * query_steps + t) * value_steps + s)] = 0.0f;
        }
  }
  return attend(xs, Tensor::from_vector<float>({batch, 1, query_steps, value_steps}, allowed));
}

Tensor MultiHeadAttention::compute_mask_multi(const std::vector<Tensor>&, const std::vector<Tensor>& masks) const {
  return masks[0];  // the output's steps are the query's
}

Tensor MultiHeadAttention::attend(const std::vector<Tensor>& xs, const Tensor& allowed) {
  std::vector<Shape> shapes;
  for (const Tensor& x : xs) shapes.push_back(x.shape());
  check_inputs(shapes);
  const Tensor& query = xs[0];
  const Tensor& value = xs[1];
  const Tensor& key = xs.size() == 3 ? xs[2] : value;
  const int64_t batch = query.dim(0);
  // x (batch, steps, features) -> (batch, heads, steps, dim) through the projection's kernel and bias.
  auto project = [&](const Tensor& x, int i) {
    const Shape& k = kernels_[i]->shape();
    const Tensor kernel = ops::reshape(kernels_[i]->value(), {k[0], k[1] * k[2]});
    const Tensor bias = biases_[i] ? ops::reshape(biases_[i]->value(), {k[1] * k[2]}) : Tensor();
    const Tensor y = ops::reshape(ops::dense(x, kernel, bias), {batch, x.dim(1), k[1], k[2]});
    return ops::permute(y, {0, 2, 1, 3});
  };
  const Tensor q = ops::scale(project(query, 0), 1.0 / std::sqrt(static_cast<double>(key_dim_)));
  const Tensor k = project(key, 1);
  const Tensor v = project(value, 2);
  Tensor scores = ops::batch_matmul(q, k, false, true);  // (batch, heads, T, S)
  // As Keras 3's dot_product_attention (its path without attention dropout): the scores where attention
  // is not allowed become a large negative number (exactly: x * 1 + 0 where allowed, x * 0 - 1e9 where
  // not), so they get no weight, and a query step that may attend to nothing spreads its weight evenly.
  if (allowed.defined()) scores = ops::add(ops::mul(scores, allowed), ops::scale(ops::add_scalar(allowed, -1.0), 1e9));
  const Tensor weights = ops::softmax(scores, -1);
  const Tensor heads = ops::permute(ops::batch_matmul(weights, v), {0, 2, 1, 3});  // (batch, T, heads, dv)
  const Shape& o = kernels_[3]->shape();
  return ops::dense(ops::reshape(heads, {batch, query.dim(1), o[0] * o[1]}),
                    ops::reshape(kernels_[3]->value(), {o[0] * o[1], o[2]}), biases_[3] ? biases_[3]->value() : Tensor());
}

Shape MultiHeadAttention::compute_output_shape(const Shape& input_shape) const { return input_shape; }

Shape MultiHeadAttention::compute_output_shape(const std::vector<Shape>& input_shapes) const {
  check_inputs(input_shapes);
  return input_shapes[0];
}

}  // namespace cairn
