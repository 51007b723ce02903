#include "cairn/layers/attention.h"

#include "cairn/error.h"
#include "cairn/ops.h"

namespace cairn {

namespace {

// What Keras subtracts from the scores that a mask hides: their softmax weight becomes exactly 0.
constexpr double kMaskedScore = 1e9;

// The offsets added to the scores (batch or 1, Tq, Tv): 0 where query step i may attend to value step j,
// -kMaskedScore where it may not (a step after i with the causal mask, a padding step of the value's mask),
// as Keras subtracts the constant once wherever its combined mask is false.
Tensor masked_score_offsets(int64_t batch, int64_t query_steps, int64_t value_steps, bool causal, const Tensor& value_mask) {
  const std::vector<float> kept = value_mask.defined() ? value_mask.to(DType::Float32).to_vector<float>() : std::vector<float>();
  const int64_t rows = value_mask.defined() ? batch : 1;
  Tensor offsets({rows, query_steps, value_steps}, DType::Float32);
  float* o = offsets.data<float>();
  for (int64_t b = 0; b < rows; ++b)
    for (int64_t i = 0; i < query_steps; ++i)
      for (int64_t j = 0; j < value_steps; ++j) {
        const bool allowed = !(causal && j > i) && (kept.empty() || kept[static_cast<size_t>(b * value_steps + j)] > 0.5f);
        o[(b * query_steps + i) * value_steps + j] = allowed ? 0.f : static_cast<float>(-kMaskedScore);
      }
  return offsets;
}

AttentionOptions as_attention_options(AdditiveAttentionOptions o) {
  return {.use_scale = o.use_scale, .score_mode = "dot", .dropout = o.dropout, .seed = o.seed,
          .use_causal_mask = o.use_causal_mask, .name = std::move(o.name)};
}

}  // namespace

Attention::Attention(AttentionOptions options) : Attention("Attention", std::move(options)) {}

Attention::Attention(std::string class_name, AttentionOptions options)
    : Layer(class_name, options.name, options.seed), options_(std::move(options)) {
  if (options_.score_mode != "dot" && options_.score_mode != "concat")
    throw InvalidArgument(class_name + ": invalid value for argument score_mode. Expected one of {'dot', 'concat'}. "
                          "Received: score_mode=" + options_.score_mode);
  if (!(options_.dropout >= 0.0 && options_.dropout < 1.0))
    throw InvalidArgument(class_name + ": invalid value for argument dropout: expected a float in [0, 1). "
                          "Received: dropout=" + std::to_string(options_.dropout));
}

void Attention::check_inputs(const std::vector<Shape>& shapes) const {
  if (shapes.size() != 2 && shapes.size() != 3)
    incompatible_input(class_name() + " layer accepts inputs list of length 2 or 3, namely [query, value] or "
                       "[query, value, key]. Received length: " + std::to_string(shapes.size()) + ".");
  const char* names[3] = {"query", "value", "key"};
  for (size_t i = 0; i < shapes.size(); ++i)
    if (shapes[i].size() != 3)
      incompatible_input(std::string(names[i]) + " must have shape (batch, steps, features), got " +
                         shape_str(shapes[i]));
  const Shape& query = shapes[0];
  const Shape& value = shapes[1];
  const Shape& key = shapes.size() == 3 ? shapes[2] : value;
  auto differ = [](int64_t a, int64_t b) { return a >= 0 && b >= 0 && a != b; };
  if (differ(key[1], value[1]))
    incompatible_input("key and value must have the same number of steps, got key " + shape_str(key) +
                       " and value " + shape_str(value));
  if (differ(query[0], value[0]) || differ(key[0], value[0]))
    incompatible_input("query " + shape_str(query) + ", value " + shape_str(value) + " and key " + shape_str(key) +
                       " differ in batch size");
  if (differ(query[2], key[2]))
    incompatible_input("query and key must have the same number of features, got query " + shape_str(query) +
                       " and key " + shape_str(key));
  if (built() && scale_ && scale_->shape().size() == 1 && query[2] != scale_->shape()[0])
    incompatible_input("the layer was built for queries of " + std::to_string(scale_->shape()[0]) +
                       " features, got query " + shape_str(query));
}

// A single input reaches build_impl only when build_multi has not built the layer first.
void Attention::build_impl(const Shape& input_shape) {
  if (!built_for_inputs_)
    incompatible_input(class_name() + " layer must be called on a list of inputs, namely [query, value] or "
                       "[query, value, key]. Received one input of shape " + shape_str(input_shape));
}

Tensor Attention::call(const Tensor& x, bool) {
  incompatible_input(class_name() + " layer must be called on a list of inputs, namely [query, value] or "
                     "[query, value, key]. Received one input of shape " + shape_str(x.shape()));
}

void Attention::build_multi(const std::vector<Shape>& input_shapes) {
  check_inputs(input_shapes);
  if (built()) return;  // called again for each functional call of a built layer
  const int64_t dim = input_shapes[0][2];
  if (dim <= 0) incompatible_input("the last dimension of the query must be defined, got " + shape_str(input_shapes[0]));
  build_weights(dim);
  built_for_inputs_ = true;
  build(input_shapes[0]);
}

void Attention::build_weights(int64_t) {
  if (options_.use_scale) scale_ = add_weight("scale", {}, ones());
  if (options_.score_mode == "concat") concat_score_weight_ = add_weight("concat_score_weight", {}, ones());
}

Tensor Attention::scores(const Tensor& query, const Tensor& key) const {
  if (options_.score_mode == "dot") {
    const Tensor dot = ops::batch_matmul(query, key, false, true);
    return scale_ ? ops::mul(dot, scale_->value()) : dot;
  }
  // concat: every query step against every key step, (batch, Tq, Tv, dim), summed over the features.
  const Shape& q = query.shape();
  const Shape& k = key.shape();
  Tensor pairs = ops::add(ops::reshape(query, {q[0], q[1], 1, q[2]}), ops::reshape(key, {k[0], 1, k[1], k[2]}));
  if (scale_) pairs = ops::mul(pairs, scale_->value());
  return ops::mul(concat_score_weight_->value(), ops::sum(ops::tanh(pairs), {-1}));
}

Tensor Attention::call_multi(const std::vector<Tensor>& xs, bool training) { return attend(xs, Tensor(), Tensor(), training); }

Tensor Attention::call_multi_with_masks(const std::vector<Tensor>& xs, const std::vector<Tensor>& masks, bool training) {
  const char* roles[2] = {"query", "value"};
  for (size_t i = 0; i < 2 && i < masks.size(); ++i)
    if (masks[i].defined() && masks[i].rank() != 2)
      throw ShapeError("layer \"" + name() + "\": the " + roles[i] + "'s mask must have shape (batch, steps), got " +
                       shape_str(masks[i].shape()) + " for " + roles[i] + " shape " + shape_str(xs[i].shape()));
  return attend(xs, masks.empty() ? Tensor() : masks[0], masks.size() > 1 ? masks[1] : Tensor(), training);
}

Tensor Attention::compute_mask_multi(const std::vector<Tensor>&, const std::vector<Tensor>& masks) const {
  return masks.empty() ? Tensor() : masks[0];  // the output's steps are the query's
}

Tensor Attention::attend(const std::vector<Tensor>& xs, const Tensor& query_mask, const Tensor& value_mask, bool training) {
  std::vector<Shape> shapes;
  for (const Tensor& x : xs) shapes.push_back(x.shape());
  check_inputs(shapes);
  const Tensor& query = xs[0];
  const Tensor& value = xs[1];
  const Tensor& key = xs.size() == 3 ? xs[2] : value;
  Tensor s = scores(query, key);
  if (options_.use_causal_mask || value_mask.defined())
    s = ops::add(s, masked_score_offsets(query.dim(0), query.dim(1), key.dim(1), options_.use_causal_mask, value_mask));
  Tensor weights = ops::softmax(s, -1);
  if (training && options_.dropout > 0) weights = ops::dropout(weights, options_.dropout, generator());
  Tensor output = ops::batch_matmul(weights, value);
  // Keras's where(query_mask, output, 0), as a product with the 0/1 mask.
  if (query_mask.defined())
    output = ops::mul(output, ops::reshape(query_mask.to(DType::Float32), {query.dim(0), query.dim(1), 1}));
  return output;
}

Shape Attention::compute_output_shape(const Shape& input_shape) const { return input_shape; }

Shape Attention::compute_output_shape(const std::vector<Shape>& input_shapes) const {
  check_inputs(input_shapes);
  return {input_shapes[0][0], input_shapes[0][1], input_shapes[1][2]};
}

AdditiveAttention::AdditiveAttention(AdditiveAttentionOptions options)
    : Attention("AdditiveAttention", as_attention_options(std::move(options))) {}

void AdditiveAttention::build_weights(int64_t dim) {
  if (use_scale()) scale_ = add_weight("scale", {dim}, glorot_uniform());
}

Tensor AdditiveAttention::scores(const Tensor& query, const Tensor& key) const {
  const Shape& q = query.shape();
  const Shape& k = key.shape();
  Tensor terms = ops::tanh(ops::add(ops::reshape(query, {q[0], q[1], 1, q[2]}), ops::reshape(key, {k[0], 1, k[1], k[2]})));
  if (scale_) terms = ops::mul(terms, scale_->value());
  return ops::sum(terms, {-1});
}

}  // namespace cairn
