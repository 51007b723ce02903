// keras.layers.LayerNormalization's config.
#include "cairn/layers/layer_normalization.h"
#include "layer_registry.h"

namespace cairn::config_detail {

LayerClass layer_normalization_layer_class() {
  auto write = [](const Layer& layer) -> Json {
    const LayerNormalizationOptions& o = as<LayerNormalization>(layer).options();
    return {{"axis", o.axis},
            {"epsilon", o.epsilon},
            {"center", o.center},
            {"scale", o.scale},
            {"rms_scaling", false},
            {"beta_initializer", initializer_config(*o.beta_initializer)},
            {"gamma_initializer", initializer_config(*o.gamma_initializer)},
            {"beta_regularizer", nullptr},
            {"gamma_regularizer", nullptr},
            {"beta_constraint", nullptr},
            {"gamma_constraint", nullptr}};
  };
  auto read = [](const std::string& name, const Json& config) -> LayerPtr {
    ConfigReader r(config, describe("LayerNormalization", name));
    LayerNormalizationOptions o;
    const Json* axis = r.take("axis");
    if (axis && axis->is_array() && axis->size() == 1) axis = &(*axis)[0];  // tf.keras writes a list
    if (axis && !axis->is_number_integer())
      r.unsupported("axis", *axis, "cairn normalizes over one axis, the last");
    if (axis) o.axis = static_cast<int>(axis->get<int64_t>());
    o.epsilon = r.number("epsilon", o.epsilon);
    o.center = r.boolean("center", true);
    o.scale = r.boolean("scale", true);
    r.require("rms_scaling", {false}, "cairn has no rms_scaling (deprecated in Keras 3)");
    o.beta_initializer = r.initializer("beta_initializer", o.beta_initializer);
    o.gamma_initializer = r.initializer("gamma_initializer", o.gamma_initializer);
    require_null(r, {"beta_regularizer", "gamma_regularizer", "beta_constraint", "gamma_constraint"});
    o.name = name;
    r.finish();
    return std::make_shared<LayerNormalization>(o);
  };
  return {"LayerNormalization", write, read, "the last axis; rms_scaling false"};
}

}  // namespace cairn::config_detail
