// Embedding: integer ids (any shape) -> rows of a trainable (input_dim, output_dim) table, as
// keras.layers.Embedding. Output shape: input shape + (output_dim,).
#pragma once

#include "cairn/layers/layer.h"

namespace cairn {

struct EmbeddingOptions {
  InitializerPtr embeddings_initializer = random_uniform();  // Keras "uniform": U(-0.05, 0.05)
  // Id 0 is padding: the output's mask (Layer::MaskedOutput) is 0 there, for the layers after it.
  bool mask_zero = false;
  std::string name;
  std::optional<uint64_t> seed;  // seeds the layer's stream; otherwise taken from set_random_seed
};

class Embedding : public Layer {
 public:
  Embedding(int64_t input_dim, int64_t output_dim, EmbeddingOptions options = {});
  int64_t input_dim() const { return input_dim_; }
  int64_t output_dim() const { return output_dim_; }
  const EmbeddingOptions& options() const { return options_; }
  const VariablePtr& embeddings() const { return embeddings_; }
  Shape compute_output_shape(const Shape& input_shape) const override;

 protected:
  void build_impl(const Shape& input_shape) override;
  // Ids of a floating dtype are truncated to integers first, as Keras casts them.
  Tensor call(const Tensor& ids, bool training) override;
  Tensor compute_mask(const Tensor& ids, const Tensor& mask) const override;

 private:
  int64_t input_dim_, output_dim_;
  EmbeddingOptions options_;
  VariablePtr embeddings_;
};

// std::make_shared cannot forward a braced options list; this factory can: make_embedding(5000, 32, {.name = "words"}).
inline std::shared_ptr<Embedding> make_embedding(int64_t input_dim, int64_t output_dim, EmbeddingOptions options = {}) {
  return std::make_shared<Embedding>(input_dim, output_dim, std::move(options));
}

}  // namespace cairn
