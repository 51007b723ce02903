// keras.layers.Embedding's config.
#include "cairn/layers/embedding.h"
#include "layer_registry.h"

namespace cairn::config_detail {

LayerClass embedding_layer_class() {
  auto write = [](const Layer& layer) -> Json {
    const Embedding& e = as<Embedding>(layer);
    return {{"input_dim", e.input_dim()},
            {"output_dim", e.output_dim()},
            {"embeddings_initializer", initializer_config(*e.options().embeddings_initializer)},
            {"embeddings_regularizer", nullptr},
            {"activity_regularizer", nullptr},
            {"embeddings_constraint", nullptr},
            {"mask_zero", e.options().mask_zero},
            {"input_length", nullptr}};
  };
  auto read = [](const std::string& name, const Json& config) -> LayerPtr {
    ConfigReader r(config, describe("Embedding", name));
    const int64_t input_dim = r.dimension("input_dim");
    const int64_t output_dim = r.dimension("output_dim");
    EmbeddingOptions options;
    options.embeddings_initializer = r.initializer("embeddings_initializer", options.embeddings_initializer);
    options.name = name;
    require_null(r, {"embeddings_regularizer", "embeddings_constraint"});
    options.mask_zero = r.boolean("mask_zero", false);
    r.require("sparse", {false}, "cairn's embedding gradients are dense");
    // Keras uses input_length only to infer static output shapes; the lookup is the same.
    if (const Json* length = r.take("input_length"); length && !length->is_null() && !length->is_number_integer())
      r.fail("input_length must be null or an integer, got " + show(*length));
    require_no_lora(r);
    r.finish();
    return std::make_shared<Embedding>(input_dim, output_dim, options);
  };
  return {"Embedding", write, read, "mask_zero, dense gradients"};
}

}  // namespace cairn::config_detail
