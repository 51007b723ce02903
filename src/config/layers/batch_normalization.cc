// keras.layers.BatchNormalization's config.
#include "cairn/layers/batch_normalization.h"
#include "layer_registry.h"

namespace cairn::config_detail {

LayerClass batch_normalization_layer_class() {
  auto write = [](const Layer& layer) -> Json {
    const BatchNormalizationOptions& o = as<BatchNormalization>(layer).options();
    return {{"axis", o.axis},
            {"momentum", o.momentum},
            {"epsilon", o.epsilon},
            {"center", o.center},
            {"scale", o.scale},
            {"beta_initializer", initializer_config(*o.beta_initializer)},
            {"gamma_initializer", initializer_config(*o.gamma_initializer)},
            {"moving_mean_initializer", initializer_config(*o.moving_mean_initializer)},
            {"moving_variance_initializer", initializer_config(*o.moving_variance_initializer)},
            {"beta_regularizer", nullptr},
            {"gamma_regularizer", nullptr},
            {"beta_constraint", nullptr},
            {"gamma_constraint", nullptr},
            {"synchronized", false}};
  };
  auto read = [](const std::string& name, const Json& config) -> LayerPtr {
    ConfigReader r(config, describe("BatchNormalization", name));
    BatchNormalizationOptions o;
    const Json* axis = r.take("axis");
    // tf.keras writes [3] for the last axis of an image; Keras 3 an integer.
    if (axis && axis->is_array() && axis->size() == 1) axis = &(*axis)[0];
    if (axis && !axis->is_number_integer()) r.fail("axis must be an integer, got " + show(*axis));
    if (axis) o.axis = static_cast<int>(axis->get<int64_t>());
    o.momentum = r.number("momentum", o.momentum);
    o.epsilon = r.number("epsilon", o.epsilon);
    o.center = r.boolean("center", true);
    o.scale = r.boolean("scale", true);
    o.beta_initializer = r.initializer("beta_initializer", o.beta_initializer);
    o.gamma_initializer = r.initializer("gamma_initializer", o.gamma_initializer);
    o.moving_mean_initializer = r.initializer("moving_mean_initializer", o.moving_mean_initializer);
    o.moving_variance_initializer = r.initializer("moving_variance_initializer", o.moving_variance_initializer);
    require_null(r, {"beta_regularizer", "gamma_regularizer", "beta_constraint", "gamma_constraint"});
    r.require("renorm", {false}, "cairn has no batch renormalization");
    for (const char* renorm_only : {"renorm_clipping", "renorm_momentum"}) r.ignore(renorm_only);
    // Synchronizing statistics across devices, and tf.keras's fused kernel, give the same result.
    r.ignore("synchronized");
    r.ignore("fused");
    r.require("virtual_batch_size", {kNull}, "cairn has no ghost batch normalization");
    r.require("adjustment", {kNull}, "cairn has no adjustment function");
    o.name = name;
    r.finish();
    return std::make_shared<BatchNormalization>(o);
  };
  return {"BatchNormalization", write, read,
          "the last axis; moving statistics as non-trainable weights; a mask: the moments of the unmasked steps; "
          "no renorm, no virtual batches"};
}

}  // namespace cairn::config_detail
