// keras.layers.Masking's config.
#include "cairn/layers/masking.h"
#include "layer_registry.h"

namespace cairn::config_detail {

LayerClass masking_layer_class() {
  auto write = [](const Layer& layer) -> Json { return {{"mask_value", as<Masking>(layer).mask_value()}}; };
  auto read = [](const std::string& name, const Json& config) -> LayerPtr {
    ConfigReader r(config, describe("Masking", name));
    const double mask_value = r.number("mask_value", 0.0);
    r.finish();
    return std::make_shared<Masking>(mask_value, name);
  };
  return {"Masking", write, read, "mask_value; the recurrent layers and Bidirectional honour its mask"};
}

}  // namespace cairn::config_detail
