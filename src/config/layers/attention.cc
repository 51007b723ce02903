// The configs of keras.layers.Attention and keras.layers.AdditiveAttention.
#include "cairn/layers/attention.h"
#include "layer_registry.h"

namespace cairn::config_detail {

namespace {

// Keras keeps use_causal_mask with each call in a model's config, not in the layer's.
void require_no_causal_mask(const Attention& layer) {
  if (layer.use_causal_mask())
    throw InvalidArgument(layer.class_name() + " '" + layer.name() +
                          "': use_causal_mask is a call argument in Keras's configs, which cairn does not write yet; "
                          "save the weights (save_weights) and build the model in code");
}

// tf-keras's (deprecated) causal key: only its default.
void require_not_causal(ConfigReader& r) {
  r.require("causal", {kNull, false}, "tf-keras's causal argument: cairn's use_causal_mask is set in code");
}

}  // namespace

LayerClass attention_layer_class() {
  auto write = [](const Layer& layer) -> Json {
    const Attention& a = as<Attention>(layer);
    require_no_causal_mask(a);
    return {{"use_scale", a.use_scale()},
            {"score_mode", a.options().score_mode},
            {"dropout", a.dropout()},
            {"seed", seed_config(a.options().seed)}};
  };
  auto read = [](const std::string& name, const Json& config) -> LayerPtr {
    ConfigReader r(config, describe("Attention", name));
    AttentionOptions o;
    o.use_scale = r.boolean("use_scale", false);
    o.score_mode = r.string("score_mode", "dot");
    o.dropout = r.number("dropout", 0.0);
    o.seed = r.seed("seed");
    require_not_causal(r);
    o.name = name;
    r.finish();
    return std::make_shared<Attention>(o);
  };
  return {"Attention", write, read,
          "[query, value] or [query, value, key] inputs of rank 3, score_mode dot or concat, use_scale, dropout "
          "(cairn's own random stream), query and value masks; use_causal_mask as a C++ option (not read from model "
          "configs); no return_attention_scores"};
}

LayerClass additive_attention_layer_class() {
  auto write = [](const Layer& layer) -> Json {
    const AdditiveAttention& a = as<AdditiveAttention>(layer);
    require_no_causal_mask(a);
    return {{"use_scale", a.use_scale()}, {"dropout", a.dropout()}, {"seed", seed_config(a.options().seed)}};
  };
  auto read = [](const std::string& name, const Json& config) -> LayerPtr {
    ConfigReader r(config, describe("AdditiveAttention", name));
    AdditiveAttentionOptions o;
    o.use_scale = r.boolean("use_scale", true);
    o.dropout = r.number("dropout", 0.0);
    o.seed = r.seed("seed");
    require_not_causal(r);
    o.name = name;
    r.finish();
    return std::make_shared<AdditiveAttention>(o);
  };
  return {"AdditiveAttention", write, read,
          "[query, value] or [query, value, key] inputs of rank 3, use_scale, dropout (cairn's own random stream); "
          "query and value masks; use_causal_mask as a C++ option (not read from model configs); no "
          "return_attention_scores"};
}

}  // namespace cairn::config_detail
