// Attention (Luong's dot-product attention) and AdditiveAttention (Bahdanau's), as keras.layers': called
// on [query, value] or [query, value, key] (key defaults to value) of shapes (batch, Tq, dim),
// (batch, Tv, dim_v) and (batch, Tv, dim), each query step takes softmax(scores) over the Tv steps of
// value. Attention's scores are q . k (times the weight `scale` with use_scale), or with score_mode
// "concat" concat_score_weight * sum(tanh(scale * (q + k))); AdditiveAttention's are
// sum(scale * tanh(q + k)) with a `scale` per feature. Dropout drops attention weights in training.
// Masks as Keras's: the value's mask (batch, Tv) keeps its padding steps out of the softmax, the query's
// (batch, Tq) zeroes the output at its padding steps and is the output's mask; the key's is not used.
// No returned attention scores.
#pragma once

#include "cairn/layers/layer.h"

namespace cairn {

// In the order of keras.layers.Attention's arguments.
struct AttentionOptions {
  bool use_scale = false;
  std::string score_mode = "dot";  // "dot" or "concat"
  double dropout = 0.0;            // fraction of the attention weights dropped in training
  std::optional<uint64_t> seed{};  // seeds the layer's stream; otherwise taken from set_random_seed
  // Keras's call argument: query step i attends to value steps j <= i only (decoder self-attention).
  // Keras records it with each call in a model's config, which cairn does not yet: a model config of a
  // layer with it set is refused rather than written without it.
  bool use_causal_mask = false;
  std::string name{};
};

class Attention : public Layer {
 public:
  explicit Attention(AttentionOptions options = {});
  const AttentionOptions& options() const { return options_; }
  bool use_scale() const { return options_.use_scale; }
  double dropout() const { return options_.dropout; }
  bool use_causal_mask() const { return options_.use_causal_mask; }
  const VariablePtr& scale() const { return scale_; }  // null without use_scale
  Shape compute_output_shape(const Shape& input_shape) const override;
  Shape compute_output_shape(const std::vector<Shape>& input_shapes) const override;
  bool draws_random_numbers() const override { return options_.dropout > 0; }

 protected:
  // AdditiveAttention's constructor: its own class name and defaults.
  Attention(std::string class_name, AttentionOptions options);
  Tensor call(const Tensor& x, bool training) override;
  Tensor call_multi(const std::vector<Tensor>& xs, bool training) override;
  Tensor call_multi_with_masks(const std::vector<Tensor>& xs, const std::vector<Tensor>& masks, bool training) override;
  Tensor compute_mask_multi(const std::vector<Tensor>& xs, const std::vector<Tensor>& masks) const override;
  void build_multi(const std::vector<Shape>& input_shapes) override;
  void build_impl(const Shape& input_shape) override;
  // The scores (batch, Tq, Tv) of query (batch, Tq, dim) against key (batch, Tv, dim).
  virtual Tensor scores(const Tensor& query, const Tensor& key) const;
  // The weights for queries of `dim` features, in Keras's order.
  virtual void build_weights(int64_t dim);
  VariablePtr scale_;

 private:
  void check_inputs(const std::vector<Shape>& shapes) const;
  // The attention of xs = [query, value(, key)] with the query's and the value's masks (undefined: none).
  Tensor attend(const std::vector<Tensor>& xs, const Tensor& query_mask, const Tensor& value_mask, bool training);
  AttentionOptions options_;
  VariablePtr concat_score_weight_;
  bool built_for_inputs_ = false;  // build_multi ran: a lone input never builds the layer
};

// keras.layers.AdditiveAttention's arguments: use_scale defaults to true here, and there is no score_mode.
struct AdditiveAttentionOptions {
  bool use_scale = true;
  double dropout = 0.0;
  std::optional<uint64_t> seed{};
  bool use_causal_mask = false;  // as AttentionOptions::use_causal_mask
  std::string name{};
};

class AdditiveAttention : public Attention {
 public:
  explicit AdditiveAttention(AdditiveAttentionOptions options = {});

 protected:
  Tensor scores(const Tensor& query, const Tensor& key) const override;
  void build_weights(int64_t dim) override;
};

inline std::shared_ptr<Attention> make_attention(AttentionOptions options = {}) {
  return std::make_shared<Attention>(std::move(options));
}
inline std::shared_ptr<AdditiveAttention> make_additive_attention(AdditiveAttentionOptions options = {}) {
  return std::make_shared<AdditiveAttention>(std::move(options));
}

}  // namespace cairn
