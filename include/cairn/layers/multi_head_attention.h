// MultiHeadAttention: keras.layers.MultiHeadAttention over (batch, steps, features) inputs, called on
// [query, value] or [query, value, key] (key defaults to value): each of num_heads heads attends with
// softmax(q k^T / sqrt(key_dim)) v, and the heads' outputs are projected back to the query's features.
// Weights in Keras's order and shapes: query, key and value projections (kernel (features, num_heads,
// key_dim or value_dim), bias (num_heads, dim)), then the output projection (kernel (num_heads,
// value_dim, features), bias (features)). Masks as Keras 3's: the query's, value's and key's masks
// (batch, steps) keep the masked positions out of the attention, and the output carries the query's
// mask. No attention_mask argument, causal mask, attention dropout or custom attention axes.
#pragma once

#include "cairn/layers/layer.h"

namespace cairn {

// In the order of keras.layers.MultiHeadAttention's arguments after num_heads and key_dim.
struct MultiHeadAttentionOptions {
  std::optional<int64_t> value_dim;  // key_dim when unset
  bool use_bias = true;
  InitializerPtr kernel_initializer = glorot_uniform();
  InitializerPtr bias_initializer = zeros();
  std::optional<uint64_t> seed;  // seeds the layer's stream; otherwise taken from set_random_seed
  std::string name;
};

class MultiHeadAttention : public Layer {
 public:
  MultiHeadAttention(int64_t num_heads, int64_t key_dim, MultiHeadAttentionOptions options = {});
  int64_t num_heads() const { return num_heads_; }
  int64_t key_dim() const { return key_dim_; }
  int64_t value_dim() const { return options_.value_dim.value_or(key_dim_); }
  const MultiHeadAttentionOptions& options() const { return options_; }
  Shape compute_output_shape(const Shape& input_shape) const override;
  Shape compute_output_shape(const std::vector<Shape>& input_shapes) const override;
  std::vector<KerasWeightPath> keras_weight_paths() const override;
  bool takes_inputs_as_arguments() const override { return true; }

 protected:
  Tensor call(const Tensor& x, bool training) override;
  Tensor call_multi(const std::vector<Tensor>& xs, bool training) override;
  Tensor call_multi_with_masks(const std::vector<Tensor>& xs, const std::vector<Tensor>& masks, bool training) override;
  Tensor compute_mask_multi(const std::vector<Tensor>& xs, const std::vector<Tensor>& masks) const override;
  void build_multi(const std::vector<Shape>& input_shapes) override;
  void build_impl(const Shape& input_shape) override;

 private:
  void check_inputs(const std::vector<Shape>& shapes) const;
  // The attention of xs = [query, value(, key)]; `allowed` (batch, 1, T, S): 1 where a query step may
  // attend to a value step, undefined for everywhere.
  Tensor attend(const std::vector<Tensor>& xs, const Tensor& allowed);
  int64_t num_heads_, key_dim_;
  MultiHeadAttentionOptions options_;
  // query, key, value, output: kernel and bias of each.
  VariablePtr kernels_[4], biases_[4];
};

inline std::shared_ptr<MultiHeadAttention> make_multi_head_attention(int64_t num_heads, int64_t key_dim,
                                                                     MultiHeadAttentionOptions options = {}) {
  return std::make_shared<MultiHeadAttention>(num_heads, key_dim, std::move(options));
}

}  // namespace cairn
