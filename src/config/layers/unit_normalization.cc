// keras.layers.UnitNormalization's config.
#include "cairn/layers/unit_normalization.h"
#include "layer_registry.h"

namespace cairn::config_detail {

LayerClass unit_normalization_layer_class() {
  auto write = [](const Layer& layer) -> Json { return {{"axis", axes_config(as<UnitNormalization>(layer).axis())}}; };
  auto read = [](const std::string& name, const Json& config) -> LayerPtr {
    ConfigReader r(config, describe("UnitNormalization", name));
    UnitNormalizationOptions o;
    o.axis = axes(r, "axis", o.axis);
    o.name = name;
    r.finish();
    return std::make_shared<UnitNormalization>(o);
  };
  return {"UnitNormalization", write, read, "all arguments (axis: an int or a list)"};
}

}  // namespace cairn::config_detail
