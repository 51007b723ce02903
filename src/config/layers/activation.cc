// keras.layers.Activation's config.
#include "cairn/layers/activation.h"
#include "layer_registry.h"

namespace cairn::config_detail {

LayerClass activation_layer_class() {
  auto write = [](const Layer& layer) -> Json {
    return {{"activation", activation_name(as<Activation>(layer).activation())}};
  };
  auto read = [](const std::string& name, const Json& config) -> LayerPtr {
    ConfigReader r(config, describe("Activation", name));
    if (!r.has("activation")) r.fail("the key \"activation\" is missing");
    const std::string activation = r.activation("activation", "linear");
    r.finish();
    return std::make_shared<Activation>(activation, name);
  };
  return {"Activation", write, read, "every activation cairn has (by name)"};
}

}  // namespace cairn::config_detail
