// keras.layers.MultiHeadAttention's config.
#include "cairn/layers/multi_head_attention.h"
#include "layer_registry.h"

namespace cairn::config_detail {

LayerClass multi_head_attention_layer_class() {
  auto write = [](const Layer& layer) -> Json {
    const MultiHeadAttention& m = as<MultiHeadAttention>(layer);
    const MultiHeadAttentionOptions& o = m.options();
    return {{"num_heads", m.num_heads()},
            {"key_dim", m.key_dim()},
            {"value_dim", m.value_dim()},
            {"dropout", 0.0},
            {"use_bias", o.use_bias},
            {"output_shape", nullptr},
            {"attention_axes", nullptr},
            {"kernel_initializer", initializer_config(*o.kernel_initializer)},
            {"bias_initializer", initializer_config(*o.bias_initializer)},
            {"kernel_regularizer", nullptr},
            {"bias_regularizer", nullptr},
            {"activity_regularizer", nullptr},
            {"kernel_constraint", nullptr},
            {"bias_constraint", nullptr},
            {"seed", o.seed ? Json(*o.seed) : Json(nullptr)}};
  };
  auto read = [](const std::string& name, const Json& config) -> LayerPtr {
    ConfigReader r(config, describe("MultiHeadAttention", name));
    const int64_t num_heads = r.dimension("num_heads");
    const int64_t key_dim = r.dimension("key_dim");
    MultiHeadAttentionOptions o;
    if (const Json* value_dim = r.take("value_dim"); value_dim && !value_dim->is_null()) {
      if (!value_dim->is_number_integer() || value_dim->get<int64_t>() < 1 || value_dim->get<int64_t>() > kMaxConfigDimension)
        r.fail("value_dim must be a positive integer or null, got " + show(*value_dim));
      o.value_dim = value_dim->get<int64_t>();
    }
    r.require("dropout", {0}, "cairn's MultiHeadAttention has no attention dropout");
    o.use_bias = r.boolean("use_bias", true);
    r.require("output_shape", {kNull}, "cairn's MultiHeadAttention projects back to the query's features");
    // Keras records the axis it attends over once built: [1], the steps of a rank-3 input.
    r.require("attention_axes", {kNull, Json::array({1}), Json::array({-2})},
              "cairn's MultiHeadAttention attends over the steps axis of rank-3 inputs");
    r.require("use_gate", {false}, "cairn's MultiHeadAttention has no gate");
    r.require("sliding_window", {kNull}, "cairn's MultiHeadAttention attends over every step");
    r.ignore("flash_attention");  // a kernel choice: the same function
    // tf-keras records the shapes it was built with (cairn builds from the inputs) and how softmax treats
    // masked scores (a numerical variant; cairn masks as Keras 3 does).
    for (const char* key : {"query_shape", "key_shape", "value_shape"}) r.ignore(key);
    r.ignore("softmax_robust_masking");
    o.kernel_initializer = r.initializer("kernel_initializer", o.kernel_initializer);
    o.bias_initializer = r.initializer("bias_initializer", o.bias_initializer);
    require_null(r, {"kernel_regularizer", "bias_regularizer", "kernel_constraint", "bias_constraint"});
    o.seed = r.seed("seed");
    o.name = name;
    r.finish();
    return std::make_shared<MultiHeadAttention>(num_heads, key_dim, o);
  };
  return {"MultiHeadAttention", write, read,
          "[query, value] or [query, value, key] inputs of rank 3; the query's, value's and key's masks (the output "
          "carries the query's); no attention_mask argument, causal mask, attention dropout, output_shape, "
          "attention_axes, gate or sliding window"};
}

}  // namespace cairn::config_detail
