// keras.layers.RMSNormalization's config.
#include "cairn/layers/rms_normalization.h"
#include "layer_registry.h"

namespace cairn::config_detail {

LayerClass rms_normalization_layer_class() {
  auto write = [](const Layer& layer) -> Json {
    const RMSNormalizationOptions& o = as<RMSNormalization>(layer).options();
    return {{"axis", axes_config(o.axis)}, {"epsilon", o.epsilon}};
  };
  auto read = [](const std::string& name, const Json& config) -> LayerPtr {
    ConfigReader r(config, describe("RMSNormalization", name));
    RMSNormalizationOptions o;
    o.axis = axes(r, "axis", o.axis);
    o.epsilon = r.number("epsilon", o.epsilon);
    o.name = name;
    r.finish();
    return std::make_shared<RMSNormalization>(o);
  };
  return {"RMSNormalization", write, read, "axis (the input's last axis or axes) and epsilon"};
}

}  // namespace cairn::config_detail
