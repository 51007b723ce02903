#include "cairn/layers/embedding.h"

#include "cairn/error.h"
#include "cairn/ops.h"

namespace cairn {

Embedding::Embedding(int64_t input_dim, int64_t output_dim, EmbeddingOptions options)
    : Layer("Embedding", options.name, options.seed),
      input_dim_(input_dim),
      output_dim_(output_dim),
      options_(std::move(options)) {
  if (input_dim <= 0)
    throw InvalidArgument("Embedding: input_dim must be a positive integer, got " +
                          std::to_string(input_dim));
  if (output_dim <= 0)
    throw InvalidArgument("Embedding: output_dim must be a positive integer, got " +
                          std::to_string(output_dim));
  if (!options_.embeddings_initializer)
    throw InvalidArgument("Embedding: embeddings_initializer must be set");
}

void Embedding::build_impl(const Shape&) {
  embeddings_ = add_weight("embeddings", {input_dim_, output_dim_}, options_.embeddings_initializer);
}

Tensor Embedding::call(const Tensor& ids, bool) {
  const bool integral = ids.dtype() == DType::Int32 || ids.dtype() == DType::Int64;
  return ops::embedding_lookup(embeddings_->value(), integral ? ids : ids.to(DType::Int64));
}

Tensor Embedding::compute_mask(const Tensor& ids, const Tensor&) const {
  if (!options_.mask_zero) return Tensor();
  const Tensor values = ids.to(DType::Int64);
  const int64_t* in = values.data<int64_t>();
  Tensor mask(ids.shape(), DType::Float32);
  float* out = mask.data<float>();
  for (int64_t i = 0; i < mask.numel(); ++i) out[i] = in[i] != 0 ? 1.0f : 0.0f;
  return mask;
}

Shape Embedding::compute_output_shape(const Shape& input_shape) const {
  Shape out = input_shape;
  out.push_back(output_dim_);
  return out;
}

}  // namespace cairn
