// keras.layers.GroupNormalization's config.
#include "cairn/layers/group_normalization.h"
#include "layer_registry.h"

namespace cairn::config_detail {

namespace {
constexpr int64_t kMaxAxis = 64;  // far above any tensor's rank; the layer checks the input's
}  // namespace

LayerClass group_normalization_layer_class() {
  auto write = [](const Layer& layer) -> Json {
    const GroupNormalization& g = as<GroupNormalization>(layer);
    const GroupNormalizationOptions& o = g.options();
    return {{"groups", g.groups()},  // Keras too writes the number of channels for -1 once built
            {"axis", o.axis},
            {"epsilon", o.epsilon},
            {"center", o.center},
            {"scale", o.scale},
            {"beta_initializer", initializer_config(*o.beta_initializer)},
            {"gamma_initializer", initializer_config(*o.gamma_initializer)},
            {"beta_regularizer", nullptr},
            {"gamma_regularizer", nullptr},
            {"beta_constraint", nullptr},
            {"gamma_constraint", nullptr}};
  };
  auto read = [](const std::string& name, const Json& config) -> LayerPtr {
    ConfigReader r(config, describe("GroupNormalization", name));
    GroupNormalizationOptions o;
    o.groups = r.integer_in("groups", -1, kMaxConfigDimension, o.groups);
    o.axis = static_cast<int>(r.integer_in("axis", -kMaxAxis, kMaxAxis, o.axis));
    o.epsilon = r.number("epsilon", o.epsilon);
    o.center = r.boolean("center", true);
    o.scale = r.boolean("scale", true);
    o.beta_initializer = r.initializer("beta_initializer", o.beta_initializer);
    o.gamma_initializer = r.initializer("gamma_initializer", o.gamma_initializer);
    require_null(r, {"beta_regularizer", "gamma_regularizer", "beta_constraint", "gamma_constraint"});
    o.name = name;
    r.finish();
    return std::make_shared<GroupNormalization>(o);
  };
  return {"GroupNormalization", write, read, "groups (-1: one per channel), any one axis, center and scale"};
}

}  // namespace cairn::config_detail
